package io.spendguard.proxy.mock;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI Responses: {@code input_tokens} = o200k tokens of the instructions and of every input text
 * (a string input; message text and text parts; function call names and arguments; function call
 * outputs) + 3 per input item (a string input is one item, instructions another) + 3;
 * {@code output_tokens} = the planned text ({@link MockCall#outputTokens} with
 * {@code max_output_tokens}) + {@code x-mock-reasoning-tokens}, reported as
 * {@code output_tokens_details.reasoning_tokens} with a reasoning item before the message. Streams
 * send the real event sequence with sequence numbers and no {@code [DONE]}; {@code x-mock-stream-end}
 * ends one with {@code response.failed} or {@code response.incomplete} (both carrying usage) instead of
 * {@code response.completed}, or with {@code error} followed by a {@code response.failed} without
 * usage, as OpenAI does when a call breaks. A request with {@code function} tools gets a
 * {@code function_call} output item as {@link MockTools} plans it, in place of the message (streamed as
 * {@code response.output_item.added}, {@code response.function_call_arguments.delta} pieces,
 * {@code .done} and {@code response.output_item.done}), billed as the planned output like text.
 */
final class MockResponses implements MockApi {

    /** One reply's ids and settings. */
    private record Reply(MockCall call, String id, long created, String model, JsonObject usage) {
        String messageId() {
            return "msg_" + id.substring(5);
        }
    }

    @Override
    public void reply(MockCall call) {
        JsonObject body = call.body();
        long input = inputTokens(call);
        long cached = call.cachedTokens(input);
        int visible = call.outputTokens(body.getValue("max_output_tokens") instanceof Number n ? n.intValue() : null);
        int reasoning = call.reasoningTokens();
        JsonObject usage = new JsonObject().put("input_tokens", input)
                .put("input_tokens_details", new JsonObject().put("cached_tokens", cached))
                .put("output_tokens", visible + reasoning)
                .put("output_tokens_details", new JsonObject().put("reasoning_tokens", reasoning))
                .put("total_tokens", input + visible + reasoning);
        Reply r = new Reply(call, "resp_mock" + Long.toHexString(0x68a0000000L + call.sequence()), MockCall.now(),
                body.getString("model", "gpt-4o-mini"), call.reportsUsage() ? usage : null);
        call.openAiHeaders(r.id());
        List<JsonObject> output = new ArrayList<>();
        if (reasoning > 0) {
            output.add(new JsonObject().put("id", "rs_" + r.id().substring(5)).put("type", "reasoning").put("summary", new JsonArray()));
        }
        MockTools.Call tool = toolCall(call);
        if (call.streaming()) {
            if (tool == null) {
                stream(r, output, visible);
            } else {
                stream(r, output, tool);
            }
            return;
        }
        output.add(tool == null ? message(r, "completed", MockChat.text(visible)) : functionCall(tool, "completed", tool.arguments()));
        call.json(response(r, "completed", new JsonArray(new ArrayList<>(output)), r.usage()));
    }

    /**
     * The tool call to answer with: the first {@code function} tool declared, unless the last input
     * item is a tool result ({@code function_call_output} or {@code custom_tool_call_output}).
     */
    private static MockTools.Call toolCall(MockCall call) {
        String name = null;
        JsonObject schema = null;
        if (call.body().getValue("tools") instanceof JsonArray tools) {
            for (Object t : tools) {
                if (t instanceof JsonObject tool && "function".equals(tool.getValue("type")) && tool.getValue("name") instanceof String n) {
                    name = n;
                    schema = tool.getValue("parameters") instanceof JsonObject p ? p : null;
                    break;
                }
            }
        }
        boolean afterToolResult = false;
        if (call.body().getValue("input") instanceof JsonArray items && !items.isEmpty()
                && items.getValue(items.size() - 1) instanceof JsonObject last) {
            Object type = last.getValue("type");
            afterToolResult = "function_call_output".equals(type) || "custom_tool_call_output".equals(type);
        }
        return MockTools.plan(call, name, schema, afterToolResult);
    }

    /** A {@code function_call} output item. */
    private static JsonObject functionCall(MockTools.Call tool, String status, String arguments) {
        return new JsonObject().put("id", "fc_" + tool.suffix()).put("type", "function_call").put("status", status)
                .put("arguments", arguments).put("call_id", "call_" + tool.suffix()).put("name", tool.name());
    }

    private static long inputTokens(MockCall call) {
        JsonObject body = call.body();
        long total = 3;
        if (body.getValue("instructions") instanceof String s) {
            total += 3 + call.count(s);
        }
        Object input = body.getValue("input");
        if (input instanceof String s) {
            total += 3 + call.count(s);
        } else if (input instanceof JsonArray items) {
            for (Object o : items) {
                if (o instanceof JsonObject item) {
                    total += 3 + itemTokens(call, item);
                }
            }
        }
        return total;
    }

    private static long itemTokens(MockCall call, JsonObject item) {
        long total = 0;
        for (String key : List.of("content", "output", "name", "arguments")) {
            total += call.contentTokens(item.getValue(key));
        }
        return total;
    }

    private static JsonObject message(Reply r, String status, String text) {
        JsonArray content = text == null ? new JsonArray() : new JsonArray().add(outputText(text));
        return new JsonObject().put("id", r.messageId()).put("type", "message").put("status", status)
                .put("content", content).put("role", "assistant");
    }

    private static JsonObject outputText(String text) {
        return new JsonObject().put("type", "output_text").put("annotations", new JsonArray()).put("logprobs", new JsonArray())
                .put("text", text);
    }

    /** The response object, as OpenAI returns it and embeds it in lifecycle events. */
    private static JsonObject response(Reply r, String status, JsonArray output, JsonObject usage) {
        JsonObject body = r.call().body();
        return new JsonObject().put("id", r.id()).put("object", "response").put("created_at", r.created()).put("status", status)
                .put("background", false).put("error", null).put("incomplete_details", null)
                .put("instructions", body.getValue("instructions")).put("max_output_tokens", body.getValue("max_output_tokens"))
                .put("max_tool_calls", null).put("model", r.model()).put("output", output).put("parallel_tool_calls", true)
                .put("previous_response_id", body.getValue("previous_response_id"))
                .put("reasoning", new JsonObject().put("effort", null).put("summary", null)).put("service_tier", "default")
                .put("store", true).put("temperature", 1.0)
                .put("text", new JsonObject().put("format", new JsonObject().put("type", "text")).put("verbosity", "medium"))
                .put("tool_choice", "auto").put("tools", body.getValue("tools") instanceof JsonArray t ? t : new JsonArray())
                .put("top_p", 1.0).put("truncation", "disabled").put("usage", usage).put("user", null).put("metadata", new JsonObject());
    }

    /** A stream's first events: created, in progress, and the output items that come before the answer. */
    private static Events opening(Reply r, List<JsonObject> output) {
        Events events = new Events();
        events.add("response.created", new JsonObject().put("response", response(r, "in_progress", new JsonArray(), null)));
        events.add("response.in_progress", new JsonObject().put("response", response(r, "in_progress", new JsonArray(), null)));
        for (int i = 0; i < output.size(); i++) {
            events.add("response.output_item.added", new JsonObject().put("output_index", i).put("item", output.get(i)));
            events.add("response.output_item.done", new JsonObject().put("output_index", i).put("item", output.get(i)));
        }
        return events;
    }

    private static void stream(Reply r, List<JsonObject> output, int tokens) {
        Events events = opening(r, output);
        int index = output.size();
        events.add("response.output_item.added", new JsonObject().put("output_index", index).put("item", message(r, "in_progress", null)));
        events.add("response.content_part.added", part(r, index).put("part", outputText("")));
        for (int i = 0; i < tokens; i++) {
            events.add("response.output_text.delta", part(r, index).put("delta", i == 0 ? "mock" : " mock").put("logprobs", new JsonArray()));
        }
        String text = MockChat.text(tokens);
        events.add("response.output_text.done", part(r, index).put("text", text).put("logprobs", new JsonArray()));
        events.add("response.content_part.done", part(r, index).put("part", outputText(text)));
        JsonObject message = message(r, "completed", text);
        events.add("response.output_item.done", new JsonObject().put("output_index", index).put("item", message));
        output.add(message);
        end(r, events, new JsonArray(new ArrayList<>(output)));
        r.call().sse(events.list, null);
    }

    private static void stream(Reply r, List<JsonObject> output, MockTools.Call tool) {
        Events events = opening(r, output);
        int index = output.size();
        String itemId = "fc_" + tool.suffix();
        events.add("response.output_item.added", new JsonObject().put("output_index", index).put("item", functionCall(tool, "in_progress", "")));
        for (String piece : tool.pieces()) {
            events.add("response.function_call_arguments.delta", new JsonObject().put("item_id", itemId).put("output_index", index)
                    .put("delta", piece));
        }
        events.add("response.function_call_arguments.done", new JsonObject().put("item_id", itemId).put("output_index", index)
                .put("arguments", tool.arguments()));
        JsonObject item = functionCall(tool, "completed", tool.arguments());
        events.add("response.output_item.done", new JsonObject().put("output_index", index).put("item", item));
        output.add(item);
        end(r, events, new JsonArray(new ArrayList<>(output)));
        r.call().sse(events.list, null);
    }

    /** The terminal event(s): completed, or as {@code x-mock-stream-end} asks. */
    private static void end(Reply r, Events events, JsonArray output) {
        String end = r.call().streamEnd();
        JsonObject serverError = new JsonObject().put("code", "server_error").put("message", "The model failed to generate a response.");
        if ("error".equals(end)) {
            events.add("error", serverError.copy().put("param", null));
            events.add("response.failed", new JsonObject().put("response", response(r, "failed", output, null).put("error", serverError)));
        } else if ("failed".equals(end)) {
            events.add("response.failed", new JsonObject().put("response", response(r, "failed", output, r.usage()).put("error", serverError)));
        } else if ("incomplete".equals(end)) {
            events.add("response.incomplete", new JsonObject().put("response", response(r, "incomplete", output, r.usage())
                    .put("incomplete_details", new JsonObject().put("reason", "max_output_tokens"))));
        } else {
            events.add("response.completed", new JsonObject().put("response", response(r, "completed", output, r.usage())));
        }
    }

    private static JsonObject part(Reply r, int outputIndex) {
        return new JsonObject().put("item_id", r.messageId()).put("output_index", outputIndex).put("content_index", 0);
    }

    /** Named events numbered in order, each {@code {type, sequence_number, …}}. */
    private static final class Events {
        private final List<String> list = new ArrayList<>();

        void add(String type, JsonObject fields) {
            JsonObject event = new JsonObject().put("type", type).put("sequence_number", list.size());
            fields.forEach(e -> event.put(e.getKey(), e.getValue()));
            list.add(MockCall.event(type, event));
        }
    }
}
