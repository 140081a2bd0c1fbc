package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Retries of an agent run through the official openai SDK (src/test/node/openai-sdk-run-retry.mjs):
 * the SDK reads a replayed reply, JSON or SSE, as it read the first, and its own retry of a 409
 * {@code idempotency_in_flight} (it honours {@code Retry-After}) ends on the first call's reply.
 */
class RunRetrySdkTest extends HarnessTest {

    private static JsonObject passed(Map<String, JsonObject> results, String scenario) {
        JsonObject outcome = results.get(scenario);
        assertThat(outcome.getBoolean("ok")).as(outcome.encode()).isTrue();
        return outcome;
    }

    @Test
    void theSdkGetsTheStoredReplyForARetryInTheSameRun() throws Exception {
        NodeScripts.install("openai");
        h = start(ProxyHarness.config(1_000_000, "", ""));
        Map<String, JsonObject> results = NodeScripts.run("openai-sdk-run-retry.mjs", Map.of(
                "OPENAI_BASE_URL", "http://127.0.0.1:" + h.server.port() + "/v1",
                "OPENAI_API_KEY", "sk-test"), "scenario", "retry_replayed", "stream_retry_replayed", "in_flight_retried_by_the_sdk");

        JsonObject plain = passed(results, "retry_replayed");
        assertThat(plain.getString("retry")).isEqualTo(plain.getString("first")).startsWith("mock");
        assertThat(plain.getBoolean("same_id")).isTrue();
        assertThat(plain.getString("replayed")).isEqualTo("true");

        JsonObject stream = passed(results, "stream_retry_replayed");
        JsonObject first = stream.getJsonObject("first");
        JsonObject retry = stream.getJsonObject("retry");
        assertThat(first.getString("content")).startsWith("mock mock");
        assertThat(first.getString("replayed")).isNull();
        assertThat(retry.getString("content")).isEqualTo(first.getString("content"));
        assertThat(retry.getInteger("chunks")).isEqualTo(first.getInteger("chunks"));
        assertThat(retry.getJsonArray("ids")).isEqualTo(first.getJsonArray("ids"));
        assertThat(retry.getString("replayed")).isEqualTo("true");

        JsonObject inFlight = passed(results, "in_flight_retried_by_the_sdk");
        assertThat(inFlight.getString("retry")).isEqualTo(inFlight.getString("first"));
        assertThat(inFlight.getString("replayed")).isEqualTo("true");
        assertThat(inFlight.getLong("waited_ms")).as("told to retry while the first was in flight").isGreaterThanOrEqualTo(900);

        assertThat(h.mock.served()).isEqualTo(3);
        h.assertSettled(3, "default");
        ProxyHarness.await("three replays counted", () -> h.counter("spendguard.requests", "outcome", "replayed") == 3);
    }
}
