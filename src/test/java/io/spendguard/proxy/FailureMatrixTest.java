package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.provider.OpenAiChat;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way an admitted call can end, streaming and not, each settled exactly once: provider error
 * → released; provider too slow → the hold is committed; reply cut → what was consumed is committed;
 * client gone → upstream cancelled and what was consumed committed; provider unreachable → released;
 * 2xx without usage → the hold is committed.
 */
class FailureMatrixTest extends HarnessTest {
    static final FailureCases CHAT = new FailureCases("/v1/chat/completions", FailureMatrixTest::body, new OpenAiChat(),
            "\"content\":\" mock\"");

    static String body(boolean stream) {
        return "{\"model\":\"gpt-test\",\"stream\":" + stream + ",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    }

    static Estimate estimate(boolean stream) {
        return CHAT.estimate(stream);
    }

    @ParameterizedTest(name = "stream={0}")
    @ValueSource(booleans = {false, true})
    void releasesTheReservationWhenTheProviderAnswers500(boolean stream) throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        CHAT.releasesTheReservationWhenTheProviderAnswers500(h, stream);
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
    void commitsTheTokensSeenWhenTheProviderBreaksOffMidStream() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        // Role chunk, "mock", " mock": two output tokens seen before the cut.
        CHAT.commitsTheTokensSeenWhenTheProviderBreaksOffMidStream(h, 3, 2);
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
    void cancelsUpstreamAndCommitsTheTokensSeenWhenTheClientLeavesMidStream() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        CHAT.cancelsUpstreamAndCommitsTheTokensSeenWhenTheClientLeavesMidStream(h);
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

    @ParameterizedTest(name = "stream={0}")
    @ValueSource(booleans = {false, true})
    void commitsTheHoldWhenA2xxReplyCarriesNoUsage(boolean stream) throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        CHAT.commitsTheHoldWhenA2xxReplyCarriesNoUsage(h, stream);
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
