package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Drives the proxy with the official {@code openai} npm package (src/test/node), as an agent would
 * after setting {@code OPENAI_BASE_URL}: a plain call, a stream, and a 402 surfaced as an APIError.
 */
class OpenAiSdkTest extends HarnessTest {
    @Test
    void worksUnchangedWithTheOfficialOpenAiSdk() throws Exception {
        NodeScripts.install("openai");
        h = ProxyHarness.start(ProxyHarness.config(5_000, "", ""));
        Map<String, JsonObject> results = NodeScripts.run("openai-sdk-e2e.mjs", Map.of(
                "OPENAI_BASE_URL", "http://127.0.0.1:" + h.server.port() + "/v1",
                "OPENAI_API_KEY", "sk-test",
                "SG_REFUSE_MODEL", "gpt-4o-mini",
                "SG_REFUSE_MAX_TOKENS", "16000"), "scenario", "non_stream", "stream", "refused");

        JsonObject plain = results.get("non_stream");
        assertThat(plain.getBoolean("ok")).as(plain.encode()).isTrue();
        assertThat(plain.getString("content")).startsWith("mock");
        assertThat(plain.getJsonObject("usage").getLong("completion_tokens")).isEqualTo(12);
        assertThat(plain.getString("decision_id")).isNotBlank();

        JsonObject stream = results.get("stream");
        assertThat(stream.getBoolean("ok")).as(stream.encode()).isTrue();
        assertThat(stream.getString("content")).startsWith("mock mock");
        assertThat(stream.getBoolean("saw_usage")).as("the injected usage chunk is removed").isFalse();

        JsonObject refused = results.get("refused");
        assertThat(refused.getBoolean("ok")).as(refused.encode()).isTrue();
        assertThat(refused.getBoolean("is_api_error")).isTrue();
        assertThat(refused.getInteger("status")).isEqualTo(402);
        assertThat(refused.getString("type")).isEqualTo("budget_exceeded");
        assertThat(refused.getString("code")).isEqualTo("BUDGET_EXHAUSTED");
        assertThat(refused.getString("message")).contains("Budget 'default' cannot cover this call");
        assertThat(refused.getJsonObject("spendguard").getString("budget_id")).isEqualTo("default");

        h.assertSettled(2, "default");
        assertThat(h.mock.served()).isEqualTo(2);
    }
}
