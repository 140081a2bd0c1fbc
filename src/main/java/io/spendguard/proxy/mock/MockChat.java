package io.spendguard.proxy.mock;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI chat completions: {@code prompt_tokens} = o200k tokens of every message's role and text
 * + 3 per message + 3; {@code completion_tokens} as planned by {@link MockCall#outputTokens}. Streams
 * report usage in a final chunk only when {@code stream_options.include_usage} asks for it.
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
        if (call.streaming()) {
            JsonObject streamOptions = body.getJsonObject("stream_options");
            boolean includeUsage = streamOptions != null && Boolean.TRUE.equals(streamOptions.getValue("include_usage"))
                    && call.reportsUsage();
            stream(call, id, created, model, output, includeUsage ? usage : null);
            return;
        }
        JsonObject reply = new JsonObject().put("id", id).put("object", "chat.completion").put("created", created)
                .put("model", model).put("system_fingerprint", "fp_mock")
                .put("choices", new JsonArray().add(new JsonObject().put("index", 0)
                        .put("message", new JsonObject().put("role", "assistant").put("content", text(output)).put("refusal", null))
                        .put("logprobs", null).put("finish_reason", "stop")));
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

    private static void stream(MockCall call, String id, long created, String model, int output, JsonObject usage) {
        List<String> events = new ArrayList<>();
        events.add(MockCall.data(chunk(id, created, model, new JsonObject().put("role", "assistant").put("content", "").put("refusal", null),
                null, usage != null)));
        for (int i = 0; i < output; i++) {
            events.add(MockCall.data(chunk(id, created, model, new JsonObject().put("content", i == 0 ? "mock" : " mock"), null, usage != null)));
        }
        events.add(MockCall.data(chunk(id, created, model, new JsonObject(), "stop", usage != null)));
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
