package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Drives the proxy with the official {@code @anthropic-ai/sdk} npm package (src/test/node), as an agent
 * would after setting {@code ANTHROPIC_BASE_URL}: a plain call, a stream read to its final message,
 * and a 402 surfaced as an APIError carrying our message and the {@code spendguard} object.
 */
class AnthropicSdkTest extends HarnessTest {
    @Test
    void worksUnchangedWithTheOfficialAnthropicSdk() throws Exception {
        NodeScripts.install("@anthropic-ai/sdk");
        h = ProxyHarness.start(ProxyHarness.config(5_000, "", ""));
        Map<String, JsonObject> results = NodeScripts.run("anthropic-sdk-e2e.mjs", Map.of(
                "ANTHROPIC_BASE_URL", "http://127.0.0.1:" + h.server.port(),
                "SG_ANTHROPIC_KEY", AnthropicCalls.KEY,
                "SG_MODEL", "claude-test",
                "SG_REFUSE_MAX_TOKENS", "8000"), "scenario", "non_stream", "stream", "refused");

        JsonObject plain = results.get("non_stream");
        assertThat(plain.getBoolean("ok")).as(plain.encode()).isTrue();
        assertThat(plain.getString("content")).startsWith("mock");
        JsonObject usage = plain.getJsonObject("usage");
        assertThat(usage.getLong("output_tokens")).isEqualTo(12);
        assertThat(plain.getString("decision_id")).isNotBlank();
        assertThat(Long.parseLong(plain.getString("cost"))).isEqualTo(AnthropicCalls.cost(usage));

        JsonObject stream = results.get("stream");
        assertThat(stream.getBoolean("ok")).as(stream.encode()).isTrue();
        assertThat(stream.getString("content")).isEqualTo("mock" + " mock".repeat(11));
        assertThat(stream.getJsonObject("usage").getLong("output_tokens")).isEqualTo(12);
        assertThat(stream.getJsonObject("usage").getLong("input_tokens")).isPositive();
        assertThat(stream.getString("stop_reason")).isEqualTo("end_turn");

        JsonObject refused = results.get("refused");
        assertThat(refused.getBoolean("ok")).as(refused.encode()).isTrue();
        assertThat(refused.getBoolean("is_api_error")).isTrue();
        assertThat(refused.getInteger("status")).isEqualTo(402);
        assertThat(refused.getString("type")).isEqualTo("budget_exceeded");
        assertThat(refused.getString("api_message")).startsWith("Budget 'default' cannot cover this call");
        assertThat(refused.getString("message")).contains("Budget 'default' cannot cover this call");
        assertThat(refused.getJsonObject("spendguard").getString("budget_id")).isEqualTo("default");

        h.assertSettled(2, "default");
        assertThat(h.mock.served()).isEqualTo(2);
        assertThat(h.mock.received()).allSatisfy(r -> {
            assertThat(r.headers().get("x-api-key")).isEqualTo(AnthropicCalls.KEY);
            assertThat(r.headers().get("anthropic-version")).as("sent by the SDK, passed through").isNotBlank();
        });
    }
}
