package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.provider.ApiShape;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The failure cases every gated route shares, streaming and not, each asserting the status, the
 * ledger amount and exactly one settlement with nothing left held: provider error → released; stream
 * cut by the provider or left by the client → the tokens seen; 2xx without usage → the hold. A
 * subclass names the route and adds the cases of its own format.
 */
abstract class RouteFailureMatrix extends HarnessTest {

    private final String path;
    private final Function<Boolean, String> body;
    private final ApiShape shape;
    private final String deltaMarker;
    private final int eventsBeforeCut;
    private final long tokensBeforeCut;

    /**
     * @param path the data-plane route
     * @param body a request body, streaming or not, with an output limit of 100 tokens
     * @param shape the route's API shape, to estimate the body as the proxy does
     * @param deltaMarker text found once in each streamed event that carries one output token
     * @param eventsBeforeCut how many events the provider sends before it breaks off
     * @param tokensBeforeCut how many output tokens those events carry
     */
    RouteFailureMatrix(String path, Function<Boolean, String> body, ApiShape shape, String deltaMarker, int eventsBeforeCut,
                       long tokensBeforeCut) {
        this.path = path;
        this.body = body;
        this.shape = shape;
        this.deltaMarker = deltaMarker;
        this.eventsBeforeCut = eventsBeforeCut;
        this.tokensBeforeCut = tokensBeforeCut;
    }

    protected String requestBody(boolean stream) {
        return body.apply(stream);
    }

    protected Estimate estimateOf(boolean stream) {
        return ChatCompletionsTest.ESTIMATOR.estimate(shape.parse(new JsonObject(requestBody(stream))));
    }

    @ParameterizedTest(name = "stream={0}")
    @ValueSource(booleans = {false, true})
    void releasesTheReservationWhenTheProviderAnswers500(boolean stream) throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = h.post(path, requestBody(stream), "x-mock-status", "500");
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("message")).isEqualTo("mock provider error 500");
        assertThat(r.headers().firstValue("x-request-id")).hasValue("req_mock_error");
        h.assertSettled(1, "default");
        assertThat(h.counter("spendguard.settlements", "kind", "release")).isEqualTo(1);
        assertThat(h.budget("default").committedMicros()).isZero();
        ProxyHarness.await("request counted", () -> h.counter("spendguard.requests", "outcome", "provider_error") == 1);
    }

    @Test
    void commitsTheTokensSeenWhenTheProviderBreaksOffMidStream() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        assertThatThrownBy(() -> h.post(path, requestBody(true), "x-mock-reset-after-chunks", Integer.toString(eventsBeforeCut)))
                .isInstanceOf(IOException.class);
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(estimateOf(true).partialCostMicros(tokensBeforeCut));
        assertThat(h.counter("spendguard.interrupted", "cause", "upstream_break")).isEqualTo(1);
    }

    @Test
    void cancelsUpstreamAndCommitsTheTokensSeenWhenTheClientLeavesMidStream() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        RawClient.sendAndHangUp(h.server.port(), path, "Authorization: Bearer sk-client-secret-1234\r\nx-mock-output-tokens: 80\r\n"
                + "x-mock-chunk-delay-ms: 20\r\n", requestBody(true), deltaMarker, 3, 0);
        h.assertSettled(1, "default");
        long committed = h.budget("default").committedMicros();
        Estimate e = estimateOf(true);
        assertThat(committed).isGreaterThanOrEqualTo(e.partialCostMicros(3)).isLessThan(e.partialCostMicros(80));
        assertThat(h.counter("spendguard.interrupted", "cause", "client_disconnect")).isEqualTo(1);
        ProxyHarness.await("no stream left open", () -> h.registry.find("spendguard.streams.active").gauge().value() == 0);
    }

    @ParameterizedTest(name = "stream={0}")
    @ValueSource(booleans = {false, true})
    void commitsTheHoldWhenA2xxReplyCarriesNoUsage(boolean stream) throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = h.post(path, requestBody(stream), "x-mock-no-usage", "1");
        assertThat(r.statusCode()).isEqualTo(200);
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(estimateOf(stream).claimMicros());
    }
}
