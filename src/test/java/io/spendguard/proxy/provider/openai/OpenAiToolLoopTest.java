package io.spendguard.proxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.provider.Fixtures;
import io.spendguard.proxy.provider.ToolCalls;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * The tool calls each OpenAI shape reads from a request's history for loop detection
 * ({@link CallSpec#repeatedToolCalls()}), against the fixtures in src/test/resources/fixtures/openai.
 */
class OpenAiToolLoopTest {
    private final OpenAiChat chat = new OpenAiChat();
    private final OpenAiResponses responses = new OpenAiResponses();

    private static int repeated(OpenAiShape shape, String fixture) {
        return shape.parse(Fixtures.openAiJson(fixture)).repeatedToolCalls();
    }

    // ---------------------------------------------------------------- chat completions

    @Test
    void chatWithoutToolCallsIsZero() {
        assertThat(repeated(chat, "chat-request-basic.json")).isZero();
        assertThat(repeated(chat, "chat-request-multimodal.json")).isZero();
    }

    @Test
    void chatWithOneToolCallIsOne() {
        assertThat(repeated(chat, "chat-request-tools.json")).isEqualTo(1);
    }

    @Test
    void chatRetriedCallIsCountedAcrossTurnsWhateverTheKeyOrderAndWhitespace() {
        assertThat(repeated(chat, "chat-request-tool-loop.json")).isEqualTo(3);
    }

    @Test
    void chatSameToolWithDifferentArgumentsIsDistinctIncludingTheLegacyFunctionCall() {
        assertThat(repeated(chat, "chat-request-tool-distinct.json")).isEqualTo(1);
    }

    @Test
    void chatMalformedArgumentsCompareAsRawText() {
        assertThat(repeated(chat, "chat-request-tool-malformed.json")).isEqualTo(2);
    }

    @Test
    void chatLegacyFunctionCallsAreCounted() {
        String call = "{\"role\":\"assistant\",\"content\":null,\"function_call\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\",\\\"unit\\\":\\\"c\\\"}\"}}";
        String same = "{\"role\":\"assistant\",\"content\":null,\"function_call\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"unit\\\":\\\"c\\\",\\\"city\\\":\\\"Paris\\\"}\"}}";
        String result = "{\"role\":\"function\",\"name\":\"get_weather\",\"content\":\"timeout\"}";
        CallSpec s = chat.parse(new JsonObject("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
                + call + "," + result + "," + same + "," + result + "]}"));

        assertThat(s.repeatedToolCalls()).isEqualTo(2);
    }

    @Test
    void chatCustomToolCallsCompareTheirInputAsText() {
        JsonArray messages = new JsonArray().add(new JsonObject().put("role", "user").put("content", "patch it"));
        for (String input : new String[] {"*** Begin Patch", "*** Begin Patch", "***  Begin Patch"}) {
            messages.add(new JsonObject().put("role", "assistant").put("tool_calls", new JsonArray().add(new JsonObject()
                    .put("id", "call_1").put("type", "custom").put("custom", new JsonObject().put("name", "apply_patch").put("input", input)))));
        }
        CallSpec s = chat.parse(new JsonObject().put("model", "gpt-5").put("messages", messages));

        assertThat(s.repeatedToolCalls()).isEqualTo(2);
        assertThat(s.texts()).anyMatch(t -> t.contains("apply_patch") && t.contains("Begin Patch"));
    }

    @Test
    void chatToolCallsOnlyCountOnAssistantMessages() {
        JsonObject calls = new JsonObject().put("role", "user").put("content", "x").put("tool_calls", new JsonArray()
                .add(toolCall("f", "{}")).add(toolCall("f", "{}")));
        CallSpec s = chat.parse(new JsonObject().put("model", "gpt-4o").put("messages", new JsonArray().add(calls)));

        assertThat(s.repeatedToolCalls()).isZero();
    }

    @Test
    void chatHugeHistoryIsCountedUpToTheCap() {
        JsonArray toolCalls = new JsonArray();
        for (int i = 0; i < 50_000; i++) {
            toolCalls.add(toolCall("get_weather", "{\"location\":\"Paris, France\"}"));
        }
        JsonArray messages = new JsonArray().add(new JsonObject().put("role", "user").put("content", "weather?"))
                .add(new JsonObject().put("role", "assistant").put("tool_calls", toolCalls));

        CallSpec s = chat.parse(new JsonObject().put("model", "gpt-4o").put("messages", messages));

        assertThat(s.repeatedToolCalls()).isEqualTo(ToolCalls.MAX_CALLS);
    }

    @Test
    void chatHugeHistoryOfDistinctCallsIsOne() {
        JsonArray messages = new JsonArray().add(new JsonObject().put("role", "user").put("content", "count"));
        for (int i = 0; i < 50_000; i++) {
            messages.add(new JsonObject().put("role", "assistant").put("tool_calls", new JsonArray().add(toolCall("step", "{\"n\":" + i + "}"))));
        }

        CallSpec s = chat.parse(new JsonObject().put("model", "gpt-4o").put("messages", messages));

        assertThat(s.repeatedToolCalls()).isEqualTo(1);
    }

    private static JsonObject toolCall(String name, String arguments) {
        return new JsonObject().put("id", "call_x").put("type", "function")
                .put("function", new JsonObject().put("name", name).put("arguments", arguments));
    }

    // ---------------------------------------------------------------- responses

    @Test
    void responsesWithoutFunctionCallsIsZero() {
        CallSpec s = responses.parse(new JsonObject("{\"model\":\"gpt-4.1\",\"input\":\"hello\"}"));

        assertThat(s.repeatedToolCalls()).isZero();
    }

    @Test
    void responsesWithOneFunctionCallIsOne() {
        assertThat(repeated(responses, "responses-request-items.json")).isEqualTo(1);
    }

    @Test
    void responsesRepeatedFunctionCallsCompareAsJson() {
        assertThat(repeated(responses, "responses-request-tool-loop.json")).isEqualTo(3);
    }

    @Test
    void responsesDistinctNamesArgumentsAndMalformedArgumentsAreEachOne() {
        assertThat(repeated(responses, "responses-request-tool-distinct.json")).isEqualTo(1);
    }

    @Test
    void responsesCustomToolCallsAreCountedAndBilled() {
        JsonObject custom = new JsonObject().put("type", "custom_tool_call").put("call_id", "call_1")
                .put("name", "run_sql").put("input", "SELECT 1");
        CallSpec s = responses.parse(new JsonObject().put("model", "gpt-5")
                .put("input", new JsonArray().add(custom).add(custom.copy().put("call_id", "call_2"))));

        assertThat(s.repeatedToolCalls()).isEqualTo(2);
        assertThat(s.texts()).anyMatch(t -> t.contains("run_sql") && t.contains("SELECT 1"));
    }

    @Test
    void responsesHugeHistoryIsCountedUpToTheCap() {
        JsonArray input = new JsonArray();
        for (int i = 0; i < 50_000; i++) {
            input.add(new JsonObject().put("type", "function_call").put("call_id", "call_" + i).put("name", "search_kb")
                    .put("arguments", i % 2 == 0 ? "{\"query\":\"refunds\",\"top_k\":5}" : "{ \"top_k\": 5, \"query\": \"refunds\" }"));
            input.add(new JsonObject().put("type", "function_call_output").put("call_id", "call_" + i).put("output", "[]"));
        }

        CallSpec s = responses.parse(new JsonObject().put("model", "gpt-4.1").put("input", input));

        assertThat(s.repeatedToolCalls()).isEqualTo(ToolCalls.MAX_CALLS);
    }

    // ---------------------------------------------------------------- completions, embeddings

    @Test
    void completionsAndEmbeddingsHaveNoToolHistory() {
        assertThat(repeated(new OpenAiCompletions(), "completions-request.json")).isZero();
        assertThat(repeated(new OpenAiEmbeddings(), "embeddings-request.json")).isZero();
        assertThat(repeated(new OpenAiEmbeddings(), "embeddings-request-token-arrays.json")).isZero();
    }
}
