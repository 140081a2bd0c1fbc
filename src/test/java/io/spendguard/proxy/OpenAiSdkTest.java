package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Drives the proxy with the official {@code openai} npm package (src/test/node), as an agent would
 * after setting {@code OPENAI_BASE_URL}: chat (plain and streamed), Responses (plain and through the
 * SDK's stream helper, which checks the event sequence), embeddings (the SDK asks for base64 vectors),
 * legacy completions (plain and streamed), and a 402 surfaced as an APIError.
 */
class OpenAiSdkTest extends HarnessTest {
    /** The outcome of one scenario, which must have run to the end. */
    private static JsonObject passed(Map<String, JsonObject> results, String scenario) {
        JsonObject outcome = results.get(scenario);
        assertThat(outcome.getBoolean("ok")).as(outcome.encode()).isTrue();
        return outcome;
    }

    /**
     * The usage the SDK got reports {@code output} tokens, and the cost header it saw is that usage at
     * gpt-4o-mini prices (0.15 µUSD per input token, 0.60 per output token; no cache reads here).
     */
    private static void assertCostOfUsage(JsonObject outcome, String inputKey, String outputKey, long output) {
        JsonObject usage = outcome.getJsonObject("usage");
        assertThat(usage.getLong(outputKey)).isEqualTo(output);
        long cost = new BigDecimal("0.15").multiply(BigDecimal.valueOf(usage.getLong(inputKey)))
                .add(new BigDecimal("0.60").multiply(BigDecimal.valueOf(output))).setScale(0, RoundingMode.CEILING).longValueExact();
        assertThat(outcome.getLong("cost")).isEqualTo(cost);
    }

    @Test
    void worksUnchangedWithTheOfficialOpenAiSdk() throws Exception {
        NodeScripts.install("openai");
        h = ProxyHarness.start(ProxyHarness.config(5_000, "", ""));
        Map<String, JsonObject> results = NodeScripts.run("openai-sdk-e2e.mjs", Map.of(
                "OPENAI_BASE_URL", "http://127.0.0.1:" + h.server.port() + "/v1",
                "OPENAI_API_KEY", "sk-test",
                "SG_REFUSE_MODEL", "gpt-4o-mini",
                "SG_REFUSE_MAX_TOKENS", "16000"), "scenario", "non_stream", "stream", "responses",
                "responses_stream", "embeddings", "completions", "completions_stream", "refused");

        JsonObject plain = passed(results, "non_stream");
        assertThat(plain.getString("content")).startsWith("mock");
        assertThat(plain.getJsonObject("usage").getLong("completion_tokens")).isEqualTo(12);
        assertThat(plain.getString("decision_id")).isNotBlank();

        JsonObject stream = passed(results, "stream");
        assertThat(stream.getString("content")).startsWith("mock mock");
        assertThat(stream.getBoolean("saw_usage")).as("the injected usage chunk is removed").isFalse();

        JsonObject responses = passed(results, "responses");
        assertThat(responses.getString("status")).isEqualTo("completed");
        assertThat(responses.getString("text")).startsWith("mock mock");
        assertCostOfUsage(responses, "input_tokens", "output_tokens", 12);

        JsonObject responsesStream = passed(results, "responses_stream");
        assertThat(responsesStream.getString("text")).isEqualTo(responsesStream.getString("final_text")).startsWith("mock mock");
        assertThat(responsesStream.getString("status")).isEqualTo("completed");
        assertThat(responsesStream.getJsonObject("usage").getLong("output_tokens")).isEqualTo(12);
        assertThat(responsesStream.getJsonArray("types").getList()).startsWith("response.created", "response.in_progress")
                .endsWith("response.completed");

        JsonObject embeddings = passed(results, "embeddings");
        assertThat(embeddings.getInteger("vectors")).isEqualTo(2);
        assertThat(embeddings.getInteger("dimensions")).isEqualTo(8);
        assertThat(embeddings.getValue("first")).as("base64 vectors decoded to floats").isInstanceOf(Number.class);
        long embedded = embeddings.getJsonObject("usage").getLong("prompt_tokens");
        assertThat(embedded).isPositive();
        assertThat(embeddings.getLong("cost")).isEqualTo(OpenAiReplies.embeddingTestCost(embedded));

        JsonObject completions = passed(results, "completions");
        assertThat(completions.getString("text")).isEqualTo("mock mock mock mock mock mock mock");
        assertThat(completions.getString("finish_reason")).isEqualTo("length");
        assertCostOfUsage(completions, "prompt_tokens", "completion_tokens", 7);

        JsonObject completionsStream = passed(results, "completions_stream");
        assertThat(completionsStream.getString("text")).isEqualTo("mock mock mock mock mock mock mock");
        assertThat(completionsStream.getBoolean("saw_usage")).as("the injected usage chunk is removed").isFalse();

        JsonObject refused = passed(results, "refused");
        assertThat(refused.getBoolean("is_api_error")).isTrue();
        assertThat(refused.getInteger("status")).isEqualTo(402);
        assertThat(refused.getString("type")).isEqualTo("budget_exceeded");
        assertThat(refused.getString("code")).isEqualTo("BUDGET_EXHAUSTED");
        assertThat(refused.getString("message")).contains("Budget 'default' cannot cover this call");
        assertThat(refused.getJsonObject("spendguard").getString("budget_id")).isEqualTo("default");

        h.assertSettled(7, "default");
        assertThat(h.mock.served()).isEqualTo(7);
    }
}
