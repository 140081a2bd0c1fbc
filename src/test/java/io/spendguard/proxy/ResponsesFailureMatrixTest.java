package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.provider.OpenAiResponses;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way a Responses call can end, each settled exactly once: provider error → released; stream
 * cut by the provider or left by the client → the tokens seen; no usage → the hold;
 * {@code response.failed} and {@code response.incomplete} → billed from the usage they carry; an
 * {@code error} event without usage → the tokens seen.
 */
class ResponsesFailureMatrixTest extends HarnessTest {
    static final FailureCases RESPONSES = new FailureCases("/v1/responses", ResponsesFailureMatrixTest::body, new OpenAiResponses(),
            "\"delta\":\" mock\"");

    static String body(boolean stream) {
        return "{\"model\":\"gpt-test\",\"stream\":" + stream + ",\"max_output_tokens\":100,\"input\":\"Say hello\"}";
    }

    @ParameterizedTest(name = "stream={0}")
    @ValueSource(booleans = {false, true})
    void releasesTheReservationWhenTheProviderAnswers500(boolean stream) throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        RESPONSES.releasesTheReservationWhenTheProviderAnswers500(h, stream);
    }

    @Test
    void commitsTheTokensSeenWhenTheProviderBreaksOffMidStream() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        // created, in_progress, output_item.added, content_part.added, then "mock" and " mock" before the cut.
        RESPONSES.commitsTheTokensSeenWhenTheProviderBreaksOffMidStream(h, 6, 2);
    }

    @Test
    void cancelsUpstreamAndCommitsTheTokensSeenWhenTheClientLeavesMidStream() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        RESPONSES.cancelsUpstreamAndCommitsTheTokensSeenWhenTheClientLeavesMidStream(h);
    }

    @ParameterizedTest(name = "stream={0}")
    @ValueSource(booleans = {false, true})
    void commitsTheHoldWhenA2xxReplyCarriesNoUsage(boolean stream) throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        RESPONSES.commitsTheHoldWhenA2xxReplyCarriesNoUsage(h, stream);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"failed", "incomplete"})
    void billsAStreamThatEndsFailedOrIncompleteFromTheUsageItCarries(String end) throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = h.post("/v1/responses", body(true), "x-mock-stream-end", end, "x-mock-cached-tokens", "2");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject last = OpenAiReplies.last(r.body(), "response." + end);
        assertThat(last).as("the stream ends with response.%s", end).isNotNull();
        assertThat(OpenAiReplies.last(r.body(), "response.completed")).isNull();
        JsonObject usage = last.getJsonObject("response").getJsonObject("usage");
        h.assertSettled(1, "default");
        assertThat(h.counter("spendguard.settlements", "kind", "commit")).isEqualTo(1);
        assertThat(h.budget("default").committedMicros()).isEqualTo(ResponsesRouteTest.cost(usage));
    }

    @Test
    void commitsTheTokensSeenWhenTheStreamReportsAnErrorWithoutUsage() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = h.post("/v1/responses", body(true), "x-mock-stream-end", "error", "x-mock-output-tokens", "9");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(OpenAiReplies.last(r.body(), "error").getString("code")).isEqualTo("server_error");
        assertThat(OpenAiReplies.last(r.body(), "response.failed").getJsonObject("response").getValue("usage")).isNull();
        h.assertSettled(1, "default");
        assertThat(h.counter("spendguard.settlements", "kind", "commit")).isEqualTo(1);
        assertThat(h.budget("default").committedMicros()).isEqualTo(RESPONSES.estimate(true).partialCostMicros(9))
                .isLessThan(RESPONSES.estimate(true).claimMicros());
    }
}
