package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.provider.openai.OpenAiResponses;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way a Responses call can end, each settled exactly once: the cases every route shares
 * ({@link RouteFailureMatrix}), and {@code response.failed} / {@code response.incomplete} → billed from
 * the usage they carry; an {@code error} event without usage → the tokens seen.
 */
class ResponsesFailureMatrixTest extends RouteFailureMatrix {

    /** The cut comes after created, in_progress, output_item.added, content_part.added, "mock" and " mock". */
    ResponsesFailureMatrixTest() {
        super("/v1/responses", stream -> "{\"model\":\"gpt-test\",\"stream\":" + stream + ",\"max_output_tokens\":100,\"input\":\"Say hello\"}",
                new OpenAiResponses(), "\"delta\":\" mock\"", 6, 2);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"failed", "incomplete"})
    void billsAStreamThatEndsFailedOrIncompleteFromTheUsageItCarries(String end) throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = h.post("/v1/responses", requestBody(true), "x-mock-stream-end", end, "x-mock-cached-tokens", "2");

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
        HttpResponse<String> r = h.post("/v1/responses", requestBody(true), "x-mock-stream-end", "error", "x-mock-output-tokens", "9");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(OpenAiReplies.last(r.body(), "error").getString("code")).isEqualTo("server_error");
        assertThat(OpenAiReplies.last(r.body(), "response.failed").getJsonObject("response").getValue("usage")).isNull();
        h.assertSettled(1, "default");
        assertThat(h.counter("spendguard.settlements", "kind", "commit")).isEqualTo(1);
        assertThat(h.budget("default").committedMicros()).isEqualTo(estimateOf(true).partialCostMicros(9))
                .isLessThan(estimateOf(true).claimMicros());
    }
}
