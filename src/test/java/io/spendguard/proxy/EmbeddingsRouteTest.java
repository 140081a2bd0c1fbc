package io.spendguard.proxy;

import static io.spendguard.proxy.OpenAiReplies.embeddingTestCost;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.provider.openai.OpenAiEmbeddings;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** {@code POST /v1/embeddings} end to end: the input alone is reserved and billed, there is no output ceiling. */
class EmbeddingsRouteTest extends HarnessTest {
    static final String BODY = "{\"model\":\"text-embedding-test\",\"input\":[\"The food was delicious and the waiter...\","
            + "\"Say hello\",[791, 3691, 574, 18406]],\"encoding_format\":\"float\"}";

    static Estimate estimate(String body) {
        return ChatCompletionsTest.ESTIMATOR.estimate(new OpenAiEmbeddings().parse(new JsonObject(body)));
    }

    @Test
    void reservesTheInputOnlyAndSettlesFromPromptTokensWithTheCostHeaders() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = h.post("/v1/embeddings", BODY);

        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject reply = ProxyHarness.json(r);
        assertThat(reply.getJsonArray("data")).hasSize(3);
        long cost = embeddingTestCost(reply.getJsonObject("usage").getLong("prompt_tokens"));
        Estimate e = estimate(BODY);
        assertThat(e.outputCeiling()).isZero();
        assertThat(e.claimMicros()).isEqualTo(embeddingTestCost(e.inputTokens()));
        OpenAiReplies.assertBilledOnce(h, r, BODY, e.claimMicros(), cost);
        ProxyHarness.await("request counted", () -> h.counter("spendguard.requests", "route", "embeddings", "outcome", "ok") == 1);
    }

    @Test
    void forwardsAStreamFieldAsSentAndBillsTheJsonReply() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        String body = "{\"model\":\"text-embedding-test\",\"input\":\"Say hello\",\"stream\":true}";
        HttpResponse<String> r = h.post("/v1/embeddings", body);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(h.counter("spendguard.usage.injected")).isZero();
        long cost = embeddingTestCost(ProxyHarness.json(r).getJsonObject("usage").getLong("prompt_tokens"));
        OpenAiReplies.assertBilledOnce(h, r, body, estimate(body).claimMicros(), cost);
    }

    @Test
    void releasesTheReservationWhenTheProviderRefusesTheCall() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = h.post("/v1/embeddings", BODY, "x-mock-status", "400");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("type")).isEqualTo("invalid_request_error");
        h.assertSettled(1, "default");
        assertThat(h.counter("spendguard.settlements", "kind", "release")).isEqualTo(1);
        assertThat(h.budget("default").committedMicros()).isZero();
    }
}
