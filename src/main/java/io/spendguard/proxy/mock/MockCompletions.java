package io.spendguard.proxy.mock;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI legacy completions: {@code prompt_tokens} = {@link MockCall#promptTokens} of the prompt + o200k
 * tokens of the {@code suffix}; every prompt gets {@code n} choices of the planned text
 * ({@link MockCall#outputTokens} with {@code max_tokens}); {@code completion_tokens} = planned × prompts ×
 * max(n, best_of), since OpenAI bills the {@code best_of} candidates it generates. With {@code echo} a
 * string prompt is sent back before its completion. Streams send one chunk per token per choice, a
 * closing chunk per choice, and report usage in a final chunk only when
 * {@code stream_options.include_usage} asks for it.
 */
final class MockCompletions implements MockApi {

    /** One reply's ids and settings. */
    private record Reply(String id, long created, String model, int choices, boolean usageField) {
        JsonObject chunk(JsonArray choiceList) {
            JsonObject c = new JsonObject().put("id", id).put("object", "text_completion").put("created", created)
                    .put("choices", choiceList).put("model", model).put("system_fingerprint", "fp_mock");
            return usageField ? c.put("usage", null) : c;
        }
    }

    @Override
    public void reply(MockCall call) {
        JsonObject body = call.body();
        Object prompt = body.getValue("prompt");
        int prompts = prompt instanceof JsonArray list && !list.isEmpty() && !(list.getValue(0) instanceof Number) ? list.size() : 1;
        int n = body.getValue("n") instanceof Number v ? v.intValue() : 1;
        int bestOf = body.getValue("best_of") instanceof Number v ? v.intValue() : 1;
        Integer max = body.getValue("max_tokens") instanceof Number v ? v.intValue() : null;
        int output = call.outputTokens(max);
        // "length" when the text filled the client's limit (OpenAI stops at 16 tokens when it sets none).
        String finish = output >= (max == null ? 16 : max) ? "length" : "stop";
        long promptTokens = call.promptTokens(prompt) + call.count(body.getValue("suffix") instanceof String s ? s : null);
        long completion = (long) output * prompts * Math.max(n, bestOf);
        JsonObject usage = new JsonObject().put("prompt_tokens", promptTokens).put("completion_tokens", completion)
                .put("total_tokens", promptTokens + completion)
                .put("prompt_tokens_details", new JsonObject().put("cached_tokens", call.cachedTokens(promptTokens)));
        JsonObject options = body.getValue("stream_options") instanceof JsonObject o ? o : new JsonObject();
        boolean streamUsage = Boolean.TRUE.equals(options.getValue("include_usage")) && call.reportsUsage();
        Reply r = new Reply("cmpl-mock" + call.sequence(), MockCall.now(), body.getString("model", "gpt-3.5-turbo-instruct"),
                prompts * n, call.streaming() && streamUsage);
        call.openAiHeaders(r.id());
        String text = Boolean.TRUE.equals(body.getValue("echo")) && prompt instanceof String s ? s + " " + MockChat.text(output) : MockChat.text(output);
        if (call.streaming()) {
            stream(call, r, text, finish, streamUsage ? usage : null);
            return;
        }
        JsonArray choices = new JsonArray();
        for (int i = 0; i < r.choices(); i++) {
            choices.add(choice(i, text, finish));
        }
        JsonObject reply = r.chunk(choices);
        if (call.reportsUsage()) {
            reply.put("usage", usage);
        }
        call.json(reply);
    }

    private static JsonObject choice(int index, String text, String finish) {
        return new JsonObject().put("text", text).put("index", index).put("logprobs", null).put("finish_reason", finish);
    }

    /** Streams {@code text} for every choice, one chunk per " mock" (an echoed prompt comes first, whole). */
    private static void stream(MockCall call, Reply r, String text, String finish, JsonObject usage) {
        List<String> events = new ArrayList<>();
        for (int c = 0; c < r.choices(); c++) {
            int start = 0;
            while (start < text.length()) {
                int end = text.indexOf(" mock", start + 1);
                end = end < 0 ? text.length() : end;
                events.add(MockCall.data(r.chunk(new JsonArray().add(choice(c, text.substring(start, end), null)))));
                start = end;
            }
            events.add(MockCall.data(r.chunk(new JsonArray().add(choice(c, "", finish)))));
        }
        if (usage != null) {
            events.add(MockCall.data(r.chunk(new JsonArray()).put("usage", usage)));
        }
        call.sse(events, "data: [DONE]\n\n");
    }
}
