package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.provider.ApiShape;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.function.Function;

/**
 * The failure cases every gated route shares, played against one route of a running proxy and mock.
 * Each asserts the status, the ledger amount and exactly one settlement with nothing left held.
 *
 * @param path the data-plane route
 * @param body the request body, streaming or not; it sets an output limit of 100 tokens
 * @param shape the route's API shape, to estimate the body as the proxy does
 * @param deltaMarker text found once in each streamed event that carries one output token
 */
record FailureCases(String path, Function<Boolean, String> body, ApiShape shape, String deltaMarker) {

    Estimate estimate(boolean stream) {
        return ChatCompletionsTest.ESTIMATOR.estimate(shape.parse(new JsonObject(body.apply(stream))));
    }

    void releasesTheReservationWhenTheProviderAnswers500(ProxyHarness h, boolean stream) throws Exception {
        HttpResponse<String> r = h.post(path, body.apply(stream), "x-mock-status", "500");
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("message")).isEqualTo("mock provider error 500");
        assertThat(r.headers().firstValue("x-request-id")).hasValue("req_mock_error");
        h.assertSettled(1, "default");
        assertThat(h.counter("spendguard.settlements", "kind", "release")).isEqualTo(1);
        assertThat(h.budget("default").committedMicros()).isZero();
        ProxyHarness.await("request counted", () -> h.counter("spendguard.requests", "outcome", "provider_error") == 1);
    }

    /** The provider closes the connection after {@code events} events, {@code tokensSeen} of them output. */
    void commitsTheTokensSeenWhenTheProviderBreaksOffMidStream(ProxyHarness h, int events, long tokensSeen) throws Exception {
        assertThatThrownBy(() -> h.post(path, body.apply(true), "x-mock-reset-after-chunks", Integer.toString(events)))
                .isInstanceOf(IOException.class);
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(estimate(true).partialCostMicros(tokensSeen));
        assertThat(h.counter("spendguard.interrupted", "cause", "upstream_break")).isEqualTo(1);
    }

    void cancelsUpstreamAndCommitsTheTokensSeenWhenTheClientLeavesMidStream(ProxyHarness h) throws Exception {
        RawClient.sendAndHangUp(h.server.port(), path, body.apply(true), "x-mock-output-tokens: 80\r\nx-mock-chunk-delay-ms: 20\r\n",
                deltaMarker, 3, 0);
        h.assertSettled(1, "default");
        long committed = h.budget("default").committedMicros();
        Estimate e = estimate(true);
        assertThat(committed).isGreaterThanOrEqualTo(e.partialCostMicros(3)).isLessThan(e.partialCostMicros(80));
        assertThat(h.counter("spendguard.interrupted", "cause", "client_disconnect")).isEqualTo(1);
        ProxyHarness.await("no stream left open", () -> h.registry.find("spendguard.streams.active").gauge().value() == 0);
    }

    void commitsTheHoldWhenA2xxReplyCarriesNoUsage(ProxyHarness h, boolean stream) throws Exception {
        HttpResponse<String> r = h.post(path, body.apply(stream), "x-mock-no-usage", "1");
        assertThat(r.statusCode()).isEqualTo(200);
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(estimate(stream).claimMicros());
    }
}
