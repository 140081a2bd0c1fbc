package io.spendguard.proxy;

import static io.spendguard.proxy.OpenAiReplies.gptTestCost;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.provider.openai.OpenAiResponses;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code POST /v1/responses} end to end: reserved from the input items, settled from the usage OpenAI reports. */
class ResponsesRouteTest extends HarnessTest {
    static final String BODY = "{\"model\":\"gpt-test\",\"instructions\":\"Be brief.\",\"max_output_tokens\":50,\"input\":["
            + "{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"Say hello\"}]}]}";

    static Estimate estimate(String body) {
        return ChatCompletionsTest.ESTIMATOR.estimate(new OpenAiResponses().parse(new JsonObject(body)));
    }

    static long cost(JsonObject usage) {
        return gptTestCost(usage.getLong("input_tokens"), usage.getJsonObject("input_tokens_details").getLong("cached_tokens"),
                usage.getLong("output_tokens"));
    }

    @Test
    void settlesAReplyFromItsUsageWithCachedInputAndReasoningAndSendsTheCostHeaders() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = h.post("/v1/responses", BODY, "x-mock-cached-tokens", "5", "x-mock-reasoning-tokens", "7");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject usage = ProxyHarness.json(r).getJsonObject("usage");
        assertThat(usage.getJsonObject("output_tokens_details").getLong("reasoning_tokens")).isEqualTo(7);
        assertThat(usage.getLong("output_tokens")).as("reasoning is billed as output").isEqualTo(12 + 7);
        OpenAiReplies.assertBilledOnce(h, r, BODY, estimate(BODY).claimMicros(), cost(usage));
        ProxyHarness.await("request counted", () -> h.counter("spendguard.requests", "route", "responses", "outcome", "ok") == 1);
    }

    @Test
    void relaysTheEventStreamByteForByteAndSettlesFromResponseCompleted() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        String body = BODY.replace("{\"model\"", "{\"stream\":true,\"model\"");
        HttpResponse<String> r = h.post("/v1/responses", body, "x-mock-cached-tokens", "3");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        assertThat(r.headers().firstValue("X-SpendGuard-Decision-Id")).isPresent();
        assertThat(h.mock.received().get(0).body().toString(StandardCharsets.UTF_8)).as("nothing injected").isEqualTo(body);
        assertThat(h.counter("spendguard.usage.injected")).isZero();
        List<String> types = OpenAiReplies.events(r.body()).stream().map(e -> e.getString("type")).toList();
        assertThat(types).startsWith("response.created", "response.in_progress", "response.output_item.added",
                "response.content_part.added", "response.output_text.delta").endsWith("response.output_text.done",
                "response.content_part.done", "response.output_item.done", "response.completed").hasSize(4 + 12 + 4);
        String direct = OpenAiReplies.direct(h, "/v1/responses", body, "x-mock-cached-tokens", "3").body();
        assertThat(OpenAiReplies.withoutCallIds(r.body())).isEqualTo(OpenAiReplies.withoutCallIds(direct));

        long cost = cost(OpenAiReplies.last(r.body(), "response.completed").getJsonObject("response").getJsonObject("usage"));
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(cost);
    }
}
