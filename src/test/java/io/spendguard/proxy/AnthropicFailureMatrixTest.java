package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.estimate.TokenCounter;
import java.io.IOException;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way an admitted Anthropic Messages call can end, each settled exactly once with the hold back
 * to zero: provider error → released; stream cut by the provider or the client → input plus the
 * output seen; an {@code error} event in the stream → input plus the output seen; 2xx without usage →
 * the whole hold.
 */
class AnthropicFailureMatrixTest extends HarnessTest {
    private static final TokenCounter TOKENS = new TokenCounter();

    private static Estimate estimate(boolean stream) {
        return AnthropicCalls.estimate(AnthropicCalls.body(stream, 100));
    }

    /** Output the proxy counts for the mock's first {@code n} text deltas ("mock", " mock", …). */
    private static long deltas(int n) {
        return n == 0 ? 0 : TOKENS.count("estimate", "mock") + (n - 1L) * TOKENS.count("estimate", " mock");
    }

    private HttpResponse<String> call(boolean stream, String... headers) throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        return AnthropicCalls.send(h, AnthropicCalls.body(stream, 100), headers);
    }

    /** Exactly one settlement, nothing held, and {@code micros} committed. */
    private void assertCommitted(long micros) throws Exception {
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(micros);
    }

    @ParameterizedTest(name = "stream={0}")
    @ValueSource(booleans = {false, true})
    void releasesTheReservationWhenTheProviderAnswers500(boolean stream) throws Exception {
        HttpResponse<String> r = call(stream, "x-mock-status", "500");

        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("type")).isEqualTo("api_error");
        assertCommitted(0);
        assertThat(h.counter("spendguard.settlements", "kind", "release")).isEqualTo(1);
    }

    @Test
    void commitsTheInputAndTheDeltasSeenWhenTheProviderBreaksOffMidStream() throws Exception {
        // message_start, content_block_start, ping, then two text deltas before the connection drops.
        assertThatThrownBy(() -> call(true, "x-mock-reset-after-chunks", "5")).isInstanceOf(IOException.class);

        assertCommitted(estimate(true).partialCostMicros(deltas(2)));
        assertThat(h.counter("spendguard.interrupted", "cause", "upstream_break")).isEqualTo(1);
    }

    @Test
    void cancelsUpstreamAndCommitsTheDeltasSeenWhenTheClientLeavesMidStream() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        RawClient.sendAndHangUp(h.server.port(), "/v1/messages",
                AnthropicCalls.RAW_HEADERS + "x-mock-output-tokens: 80\r\nx-mock-chunk-delay-ms: 20\r\n",
                AnthropicCalls.body(true, 100), "\"text_delta\"", 3, 0);

        h.assertSettled(1, "default");
        Estimate e = estimate(true);
        assertThat(h.budget("default").committedMicros()).isGreaterThanOrEqualTo(e.partialCostMicros(deltas(3)))
                .isLessThan(e.partialCostMicros(deltas(80)));
        assertThat(h.counter("spendguard.interrupted", "cause", "client_disconnect")).isEqualTo(1);
        ProxyHarness.await("no stream left open", () -> h.registry.find("spendguard.streams.active").gauge().value() == 0);
    }

    @Test
    void commitsTheInputAndTheDeltasSeenWhenTheStreamEndsWithAnOverloadedError() throws Exception {
        HttpResponse<String> r = call(true, "x-mock-error-after-deltas", "3");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).endsWith("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                + "\"message\":\"Overloaded\"}}\n\n").doesNotContain("message_delta");
        assertCommitted(estimate(true).partialCostMicros(deltas(3)));
    }

    @ParameterizedTest(name = "stream={0}")
    @ValueSource(booleans = {false, true})
    void commitsTheWholeHoldWhenA2xxReplyCarriesNoUsage(boolean stream) throws Exception {
        HttpResponse<String> r = call(stream, "x-mock-no-usage", "1");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).doesNotContain("\"usage\"");
        assertCommitted(estimate(stream).claimMicros());
    }
}
