package io.spendguard.proxy.mock;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI chat completions: {@code prompt_tokens} = o200k tokens of every message's role and text
 * + 3 per message + 3; {@code completion_tokens} as planned by {@link MockCall#outputTokens}. Streams
 * report usage in a final chunk only when {@code stream_options.include_usage} asks for it. A request
 * with function {@code tools} gets a tool call as {@link MockTools} plans it ({@code message.tool_calls},
 * finish reason {@code tool_calls}; streamed as {@code delta.tool_calls} chunks: the id, type and name
 * first, then the arguments in pieces), billed as the planned output like text.
 */
final class MockChat implements MockApi {

    @Override
    public void reply(MockCall call) {
        JsonObject body = call.body();
        String model = body.getString("model", "gpt-4o-mini");
        long prompt = promptTokens(call);
        long cached = call.cachedTokens(prompt);
        Integer max = body.getInteger("max_completion_tokens", body.getInteger("max_tokens"));
        int output = call.outputTokens(max);
        JsonObject usage = new JsonObject().put("prompt_tokens", prompt).put("completion_tokens", output)
                .put("total_tokens", prompt + output)
                .put("prompt_tokens_details", new JsonObject().put("cached_tokens", cached).put("audio_tokens", 0))
                .put("completion_tokens_details", new JsonObject().put("reasoning_tokens", 0).put("audio_tokens", 0)
                        .put("accepted_prediction_tokens", 0).put("rejected_prediction_tokens", 0));
        String id = "chatcmpl-mock" + call.sequence();
        long created = System.currentTimeMillis() / 1000;
        call.response().putHeader("x-request-id", "req_" + id).putHeader("openai-processing-ms", "1")
                .putHeader("x-ratelimit-remaining-requests", "9999");
        MockTools.Call tool = toolCall(call);
        if (call.streaming()) {
            JsonObject streamOptions = body.getJsonObject("stream_options");
            boolean includeUsage = streamOptions != null && Boolean.TRUE.equals(streamOptions.getValue("include_usage"))
                    && call.reportsUsage();
            stream(call, id, created, model, output, tool, includeUsage ? usage : null);
            return;
        }
        JsonObject message = new JsonObject().put("role", "assistant");
        if (tool == null) {
            message.put("content", text(output)).put("refusal", null);
        } else {
            message.put("content", null).put("refusal", null).put("tool_calls", new JsonArray().add(new JsonObject()
                    .put("id", "call_" + tool.suffix()).put("type", "function")
                    .put("function", new JsonObject().put("name", tool.name()).put("arguments", tool.arguments()))));
        }
        JsonObject reply = new JsonObject().put("id", id).put("object", "chat.completion").put("created", created)
                .put("model", model).put("system_fingerprint", "fp_mock")
                .put("choices", new JsonArray().add(new JsonObject().put("index", 0)
                        .put("message", message)
                        .put("logprobs", null).put("finish_reason", tool == null ? "stop" : "tool_calls")));
        if (call.reportsUsage()) {
            reply.put("usage", usage);
        }
        call.json(reply);
    }

    /** {@code n} tokens of text: "mock mock mock…". */
    static String text(int n) {
        StringBuilder content = new StringBuilder();
        for (int i = 0; i < n; i++) {
            content.append(i == 0 ? "mock" : " mock");
        }
        return content.toString();
    }

    private static long promptTokens(MockCall call) {
        JsonArray messages = call.body().getJsonArray("messages", new JsonArray());
        long total = 3;
        for (Object m : messages) {
            total += 3;
            if (m instanceof JsonObject msg) {
                total += call.contentTokens(msg.getValue("content"));
                total += call.count(msg.getString("role", ""));
            }
        }
        return total;
    }

    /**
     * The tool call to answer with: the first {@code function} tool declared, unless the last message
     * is a tool result ({@code role} {@code tool} or the legacy {@code function}).
     */
    private static MockTools.Call toolCall(MockCall call) {
        String name = null;
        JsonObject schema = null;
        if (call.body().getValue("tools") instanceof JsonArray tools) {
            for (Object t : tools) {
                if (t instanceof JsonObject tool && "function".equals(tool.getValue("type"))
                        && tool.getValue("function") instanceof JsonObject fn && fn.getValue("name") instanceof String n) {
                    name = n;
                    schema = fn.getValue("parameters") instanceof JsonObject p ? p : null;
                    break;
                }
            }
        }
        boolean afterToolResult = false;
        if (call.body().getValue("messages") instanceof JsonArray messages && !messages.isEmpty()
                && messages.getValue(messages.size() - 1) instanceof JsonObject last) {
            Object role = last.getValue("role");
            afterToolResult = "tool".equals(role) || "function".equals(role);
        }
        return MockTools.plan(call, name, schema, afterToolResult);
    }

    private static void stream(MockCall call, String id, long created, String model, int output, MockTools.Call tool,
                               JsonObject usage) {
        List<String> events = new ArrayList<>();
        if (tool == null) {
            events.add(MockCall.data(chunk(id, created, model, new JsonObject().put("role", "assistant").put("content", "").put("refusal", null),
                    null, usage != null)));
            for (int i = 0; i < output; i++) {
                events.add(MockCall.data(chunk(id, created, model, new JsonObject().put("content", i == 0 ? "mock" : " mock"), null, usage != null)));
            }
        } else {
            JsonObject first = new JsonObject().put("index", 0).put("id", "call_" + tool.suffix()).put("type", "function")
                    .put("function", new JsonObject().put("name", tool.name()).put("arguments", ""));
            events.add(MockCall.data(chunk(id, created, model, new JsonObject().put("role", "assistant").put("content", null)
                    .put("tool_calls", new JsonArray().add(first)).put("refusal", null), null, usage != null)));
            for (String piece : tool.pieces()) {
                JsonObject delta = new JsonObject().put("tool_calls", new JsonArray().add(new JsonObject().put("index", 0)
                        .put("function", new JsonObject().put("arguments", piece))));
                events.add(MockCall.data(chunk(id, created, model, delta, null, usage != null)));
            }
        }
        events.add(MockCall.data(chunk(id, created, model, new JsonObject(), tool == null ? "stop" : "tool_calls", usage != null)));
        if (usage != null) {
            events.add(MockCall.data(new JsonObject().put("id", id).put("object", "chat.completion.chunk").put("created", created)
                    .put("model", model).put("system_fingerprint", "fp_mock").put("choices", new JsonArray()).put("usage", usage)));
        }
        call.sse(events, "data: [DONE]\n\n");
    }

    private static JsonObject chunk(String id, long created, String model, JsonObject delta, String finish, boolean usageNull) {
        JsonObject c = new JsonObject().put("id", id).put("object", "chat.completion.chunk").put("created", created)
                .put("model", model).put("system_fingerprint", "fp_mock")
                .put("choices", new JsonArray().add(new JsonObject().put("index", 0).put("delta", delta)
                        .put("logprobs", null).put("finish_reason", finish)));
        if (usageNull) {
            c.put("usage", null);
        }
        return c;
    }
}
