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
    /** µUSD of gpt-4o-mini usage without cache reads: 0.15 per input token, 0.60 per output token, rounded up. */
    private static long gpt4oMiniCost(long input, long output) {
        return new BigDecimal("0.15").multiply(BigDecimal.valueOf(input)).add(new BigDecimal("0.60").multiply(BigDecimal.valueOf(output)))
                .setScale(0, RoundingMode.CEILING).longValueExact();
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

        JsonObject plain = results.get("non_stream");
        assertThat(plain.getBoolean("ok")).as(plain.encode()).isTrue();
        assertThat(plain.getString("content")).startsWith("mock");
        assertThat(plain.getJsonObject("usage").getLong("completion_tokens")).isEqualTo(12);
        assertThat(plain.getString("decision_id")).isNotBlank();

        JsonObject stream = results.get("stream");
        assertThat(stream.getBoolean("ok")).as(stream.encode()).isTrue();
        assertThat(stream.getString("content")).startsWith("mock mock");
        assertThat(stream.getBoolean("saw_usage")).as("the injected usage chunk is removed").isFalse();

        JsonObject responses = results.get("responses");
        assertThat(responses.getBoolean("ok")).as(responses.encode()).isTrue();
        assertThat(responses.getString("status")).isEqualTo("completed");
        assertThat(responses.getString("text")).startsWith("mock mock");
        JsonObject responsesUsage = responses.getJsonObject("usage");
        assertThat(responsesUsage.getLong("output_tokens")).isEqualTo(12);
        assertThat(responses.getLong("cost")).isEqualTo(gpt4oMiniCost(responsesUsage.getLong("input_tokens"), 12));

        JsonObject responsesStream = results.get("responses_stream");
        assertThat(responsesStream.getBoolean("ok")).as(responsesStream.encode()).isTrue();
        assertThat(responsesStream.getString("text")).isEqualTo(responsesStream.getString("final_text")).startsWith("mock mock");
        assertThat(responsesStream.getString("status")).isEqualTo("completed");
        assertThat(responsesStream.getJsonObject("usage").getLong("output_tokens")).isEqualTo(12);
        assertThat(responsesStream.getJsonArray("types").getList()).startsWith("response.created", "response.in_progress")
                .endsWith("response.completed");

        JsonObject embeddings = results.get("embeddings");
        assertThat(embeddings.getBoolean("ok")).as(embeddings.encode()).isTrue();
        assertThat(embeddings.getInteger("vectors")).isEqualTo(2);
        assertThat(embeddings.getInteger("dimensions")).isEqualTo(8);
        assertThat(embeddings.getValue("first")).as("base64 vectors decoded to floats").isInstanceOf(Number.class);
        long embedded = embeddings.getJsonObject("usage").getLong("prompt_tokens");
        assertThat(embedded).isPositive();
        assertThat(embeddings.getLong("cost")).isEqualTo(BigDecimal.valueOf(embedded).multiply(new BigDecimal("0.10"))
                .setScale(0, RoundingMode.CEILING).longValueExact());

        JsonObject completions = results.get("completions");
        assertThat(completions.getBoolean("ok")).as(completions.encode()).isTrue();
        assertThat(completions.getString("text")).isEqualTo("mock mock mock mock mock mock mock");
        assertThat(completions.getString("finish_reason")).isEqualTo("length");
        JsonObject completionsUsage = completions.getJsonObject("usage");
        assertThat(completionsUsage.getLong("completion_tokens")).isEqualTo(7);
        assertThat(completions.getLong("cost")).isEqualTo(gpt4oMiniCost(completionsUsage.getLong("prompt_tokens"), 7));

        JsonObject completionsStream = results.get("completions_stream");
        assertThat(completionsStream.getBoolean("ok")).as(completionsStream.encode()).isTrue();
        assertThat(completionsStream.getString("text")).isEqualTo("mock mock mock mock mock mock mock");
        assertThat(completionsStream.getBoolean("saw_usage")).as("the injected usage chunk is removed").isFalse();

        JsonObject refused = results.get("refused");
        assertThat(refused.getBoolean("ok")).as(refused.encode()).isTrue();
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
