package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.provider.openai.OpenAiChat;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way an admitted chat completion can end, streaming and not, each settled exactly once: the
 * cases every route shares ({@link RouteFailureMatrix}), and provider too slow → the hold is
 * committed; non-stream reply cut → the hold is committed; client gone before a reply → the input is
 * committed; provider unreachable → released; usage above the hold → committed in full, counted.
 */
class FailureMatrixTest extends RouteFailureMatrix {

    /** The cut comes after the role chunk, "mock" and " mock": two output tokens. */
    FailureMatrixTest() {
        super("/v1/chat/completions", FailureMatrixTest::body, new OpenAiChat(), "\"content\":\" mock\"", 3, 2);
    }

    static String body(boolean stream) {
        return "{\"model\":\"gpt-test\",\"stream\":" + stream + ",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    }

    static Estimate estimate(boolean stream) {
        return StreamingTest.estimate(body(stream));
    }

    @ParameterizedTest(name = "stream={0}")
    @ValueSource(booleans = {false, true})
    void commitsTheHoldWhenTheProviderIsTooSlow(boolean stream) throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", "").replace("timeout_ms: 2000 }", "timeout_ms: 300 }"));
        HttpResponse<String> r = h.chat(body(stream), "x-mock-latency-ms", "1500");
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("code")).isEqualTo("upstream_timeout");
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(estimate(stream).claimMicros());
    }

    @Test
    void commitsTheHoldWhenANonStreamReplyIsCutOff() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = h.chat(body(false), "x-mock-reset-after-chunks", "0");
        assertThat(r.statusCode()).isEqualTo(502);
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(estimate(false).claimMicros());
    }

    @Test
    void commitsTheInputWhenTheClientLeavesBeforeANonStreamReply() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        RawClient.sendAndHangUp(h.server.port(), body(false), "x-mock-latency-ms: 1000\r\n", "", 0, 300);
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(estimate(false).partialCostMicros(0));
    }

    @ParameterizedTest(name = "stream={0}")
    @ValueSource(booleans = {false, true})
    void releasesTheReservationWhenTheProviderCannotBeReached(boolean stream) throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        h = start(ProxyHarness.config(1_000_000, "", "").replace("MOCK_URL", "http://127.0.0.1:" + closed));
        HttpResponse<String> r = h.chat(body(stream));
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("code")).isEqualTo("upstream_unreachable");
        h.assertSettled(1, "default");
        assertThat(h.counter("spendguard.settlements", "kind", "release")).isEqualTo(1);
        assertThat(h.budget("default").committedMicros()).isZero();
    }

    @Test
    void commitsAnOverrunInFullAndCountsIt() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = h.chat(body(false), "x-mock-output-tokens", "500");
        assertThat(r.statusCode()).isEqualTo(200);
        h.assertSettled(1, "default");
        long cost = ChatCompletionsTest.cost(new JsonObject(r.body()));
        assertThat(cost).isGreaterThan(estimate(false).claimMicros());
        assertThat(h.budget("default").committedMicros()).isEqualTo(cost);
        assertThat(h.counter("spendguard.overrun.usd.micros")).isEqualTo(cost - estimate(false).claimMicros());
    }
}
