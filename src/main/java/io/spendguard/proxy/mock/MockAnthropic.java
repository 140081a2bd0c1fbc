package io.spendguard.proxy.mock;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Anthropic Messages, JSON and SSE. The prompt is the o200k tokens of the {@code system} text(s) and
 * of every message's text (string content and {@code text} blocks, tool results included); of it,
 * {@code x-mock-cached-tokens} are reported as cache reads and then {@code x-mock-cache-write-tokens}
 * as cache writes, the rest as {@code input_tokens}. Output is planned by {@link MockCall#outputTokens}
 * from {@code max_tokens}. A stream is {@code message_start}, a text block ({@code content_block_start},
 * {@code ping}, one {@code text_delta} per token, {@code content_block_stop}), {@code message_delta}
 * with the cumulative usage and {@code message_stop}; {@code x-mock-error-after-deltas: N} ends it with
 * an {@code overloaded_error} event after N deltas instead. A request with client {@code tools} gets a
 * {@code tool_use} block as {@link MockTools} plans it, in place of the text, with stop reason
 * {@code tool_use} (streamed as a {@code tool_use} {@code content_block_start} with an empty input, then
 * {@code input_json_delta} pieces), billed as the planned output like text.
 */
final class MockAnthropic implements MockApi {

    @Override
    public void reply(MockCall call) {
        JsonObject body = call.body();
        String model = body.getValue("model") instanceof String s ? s : "claude-mock";
        long prompt = promptTokens(call);
        long read = call.cachedTokens(prompt);
        long written = Math.min(prompt - read, call.header("x-mock-cache-write-tokens", 0));
        Integer max = body.getValue("max_tokens") instanceof Number n ? n.intValue() : null;
        int output = call.outputTokens(max);
        String id = "msg_mock" + call.sequence();
        headers(call, id);
        JsonObject usage = new JsonObject().put("input_tokens", prompt - read - written)
                .put("cache_creation_input_tokens", written).put("cache_read_input_tokens", read)
                .put("cache_creation", new JsonObject().put("ephemeral_5m_input_tokens", written).put("ephemeral_1h_input_tokens", 0))
                .put("output_tokens", output).put("service_tier", "standard");
        MockTools.Call tool = toolCall(call);
        String stop = tool != null ? "tool_use" : max != null && output >= max ? "max_tokens" : "end_turn";
        boolean reports = call.reportsUsage();
        if (call.streaming()) {
            stream(call, message(id, model, new JsonArray(), null, reports ? usage.copy().put("output_tokens", 1) : null),
                    reports ? usage : null, output, tool, stop);
            return;
        }
        JsonArray content = new JsonArray().add(tool == null ? new JsonObject().put("type", "text").put("text", MockChat.text(output))
                : toolUse(tool, tool.input()));
        call.json(message(id, model, content, stop, reports ? usage : null));
    }

    /**
     * The tool call to answer with: the first client tool declared (no {@code type}, or
     * {@code custom}), unless the last message carries a {@code tool_result} block.
     */
    private static MockTools.Call toolCall(MockCall call) {
        String name = null;
        JsonObject schema = null;
        if (call.body().getValue("tools") instanceof JsonArray tools) {
            for (Object t : tools) {
                if (t instanceof JsonObject tool && (tool.getValue("type") == null || "custom".equals(tool.getValue("type")))
                        && tool.getValue("name") instanceof String n) {
                    name = n;
                    schema = tool.getValue("input_schema") instanceof JsonObject p ? p : null;
                    break;
                }
            }
        }
        boolean afterToolResult = false;
        if (call.body().getValue("messages") instanceof JsonArray messages && !messages.isEmpty()
                && messages.getValue(messages.size() - 1) instanceof JsonObject last && last.getValue("content") instanceof JsonArray blocks) {
            for (Object b : blocks) {
                afterToolResult |= b instanceof JsonObject block && "tool_result".equals(block.getValue("type"));
            }
        }
        return MockTools.plan(call, name, schema, afterToolResult);
    }

    private static JsonObject toolUse(MockTools.Call tool, JsonObject input) {
        return new JsonObject().put("type", "tool_use").put("id", "toolu_" + tool.suffix()).put("name", tool.name()).put("input", input);
    }

    @Override
    public JsonObject error(int status) {
        String type = switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 529 -> "overloaded_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
        return error(type, "mock provider error " + status).put("request_id", "req_mock_error");
    }

    private static JsonObject error(String type, String message) {
        return new JsonObject().put("type", "error").put("error", new JsonObject().put("type", type).put("message", message));
    }

    private static void headers(MockCall call, String id) {
        String reset = Instant.now().plus(1, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS).toString();
        call.response().putHeader("request-id", "req_" + id).putHeader("anthropic-organization-id", "org-mock")
                .putHeader("anthropic-ratelimit-requests-limit", "4000").putHeader("anthropic-ratelimit-requests-remaining", "3999")
                .putHeader("anthropic-ratelimit-requests-reset", reset)
                .putHeader("anthropic-ratelimit-input-tokens-limit", "400000")
                .putHeader("anthropic-ratelimit-input-tokens-remaining", "399000")
                .putHeader("anthropic-ratelimit-input-tokens-reset", reset)
                .putHeader("anthropic-ratelimit-output-tokens-limit", "80000")
                .putHeader("anthropic-ratelimit-output-tokens-remaining", "79000")
                .putHeader("anthropic-ratelimit-output-tokens-reset", reset);
    }

    /** A Message object; without {@code usage} when it is null (the request asked for none). */
    private static JsonObject message(String id, String model, JsonArray content, String stop, JsonObject usage) {
        JsonObject m = new JsonObject().put("id", id).put("type", "message").put("role", "assistant").put("model", model)
                .put("content", content).put("stop_reason", stop).put("stop_sequence", null);
        return usage == null ? m : m.put("usage", usage);
    }

    private static long promptTokens(MockCall call) {
        long total = texts(call, call.body().getValue("system"));
        for (Object m : call.body().getJsonArray("messages", new JsonArray())) {
            if (m instanceof JsonObject msg) {
                total += texts(call, msg.getValue("content"));
            }
        }
        return total;
    }

    /** Tokens of a string, or of the text blocks (and tool results' texts) in an array of blocks. */
    private static long texts(MockCall call, Object content) {
        if (content instanceof String s) {
            return call.count(s);
        }
        long total = 0;
        if (content instanceof JsonArray blocks) {
            for (Object b : blocks) {
                if (b instanceof JsonObject block) {
                    total += block.getValue("text") instanceof String s ? call.count(s) : texts(call, block.getValue("content"));
                }
            }
        }
        return total;
    }

    /** Streams the reply; {@code usage} null leaves usage out of every event. */
    private static void stream(MockCall call, JsonObject start, JsonObject usage, int output, MockTools.Call tool, String stop) {
        long errorAfter = call.header("x-mock-error-after-deltas", -1);
        List<String> events = new ArrayList<>();
        events.add(MockCall.event("message_start", new JsonObject().put("type", "message_start")
                .put("message", start)));
        events.add(MockCall.event("content_block_start", new JsonObject().put("type", "content_block_start").put("index", 0)
                .put("content_block", tool == null ? new JsonObject().put("type", "text").put("text", "") : toolUse(tool, new JsonObject()))));
        events.add(MockCall.event("ping", new JsonObject().put("type", "ping")));
        List<JsonObject> deltas = new ArrayList<>();
        if (tool == null) {
            for (int i = 0; i < output; i++) {
                deltas.add(new JsonObject().put("type", "text_delta").put("text", i == 0 ? "mock" : " mock"));
            }
        } else {
            deltas.add(new JsonObject().put("type", "input_json_delta").put("partial_json", ""));
            tool.pieces().forEach(p -> deltas.add(new JsonObject().put("type", "input_json_delta").put("partial_json", p)));
        }
        for (int i = 0; i < deltas.size(); i++) {
            if (i == errorAfter) {
                call.sse(events, MockCall.event("error", error("overloaded_error", "Overloaded")));
                return;
            }
            events.add(MockCall.event("content_block_delta", new JsonObject().put("type", "content_block_delta").put("index", 0)
                    .put("delta", deltas.get(i))));
        }
        events.add(MockCall.event("content_block_stop", new JsonObject().put("type", "content_block_stop").put("index", 0)));
        JsonObject delta = new JsonObject().put("type", "message_delta")
                .put("delta", new JsonObject().put("stop_reason", stop).put("stop_sequence", null));
        if (usage != null) {
            delta.put("usage", new JsonObject().put("input_tokens", usage.getLong("input_tokens"))
                    .put("cache_creation_input_tokens", usage.getLong("cache_creation_input_tokens"))
                    .put("cache_read_input_tokens", usage.getLong("cache_read_input_tokens"))
                    .put("output_tokens", usage.getLong("output_tokens")));
        }
        events.add(MockCall.event("message_delta", delta));
        call.sse(events, MockCall.event("message_stop", new JsonObject().put("type", "message_stop")));
    }
}
