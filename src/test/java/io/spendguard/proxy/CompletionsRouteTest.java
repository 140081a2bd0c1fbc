package io.spendguard.proxy;

import static io.spendguard.proxy.OpenAiReplies.gptTestCost;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.provider.openai.OpenAiCompletions;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/completions} (legacy) end to end: every prompt and every best_of candidate reserved,
 * usage asked for in streams on the client's behalf and removed again, settled from the usage.
 */
class CompletionsRouteTest extends HarnessTest {
    static final String BODY = "{\"model\":\"gpt-test\",\"prompt\":[\"Say this is a test\",\"Say hello\"],\"max_tokens\":5,"
            + "\"n\":2,\"best_of\":3,\"suffix\":\" -- end\"}";
    static final String STREAM = "{\"model\":\"gpt-test\",\"prompt\":\"Say this is a test\",\"max_tokens\":20,\"stream\":true}";

    static Estimate estimate(String body) {
        return ChatCompletionsTest.ESTIMATOR.estimate(new OpenAiCompletions().parse(new JsonObject(body)));
    }

    static long cost(JsonObject usage) {
        JsonObject details = usage.getJsonObject("prompt_tokens_details");
        return gptTestCost(usage.getLong("prompt_tokens"), details == null ? 0 : details.getLong("cached_tokens"),
                usage.getLong("completion_tokens"));
    }

    @Test
    void reservesEveryPromptTimesBestOfAndSettlesFromUsageWithTheCostHeaders() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = h.post("/v1/completions", BODY, "x-mock-cached-tokens", "3");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject reply = ProxyHarness.json(r);
        assertThat(reply.getJsonArray("choices")).as("n per prompt").hasSize(2 * 2);
        assertThat(reply.getJsonObject("usage").getLong("completion_tokens")).as("best_of candidates bill").isEqualTo(5 * 2 * 3);
        Estimate e = estimate(BODY);
        assertThat(e.outputCeiling()).isEqualTo(5 * 2 * 3);
        OpenAiReplies.assertBilledOnce(h, r, BODY, e.claimMicros(), cost(reply.getJsonObject("usage")));
        ProxyHarness.await("request counted", () -> h.counter("spendguard.requests", "route", "completions", "outcome", "ok") == 1);
    }

    @Test
    void asksForStreamUsageRemovesTheUsageChunkAndSettlesFromIt() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = h.post("/v1/completions", STREAM);

        assertThat(r.statusCode()).isEqualTo(200);
        String sent = h.mock.received().get(0).body().toString(StandardCharsets.UTF_8);
        assertThat(sent).isEqualTo(STREAM.replaceFirst("\\{", "{\"stream_options\":{\"include_usage\":true},"));
        assertThat(h.counter("spendguard.usage.injected")).isEqualTo(1);
        assertThat(r.body()).doesNotContain("\"choices\":[]").doesNotContain("prompt_tokens").endsWith("data: [DONE]\n\n");

        // The mock answers the body the proxy sent the same way every time: its usage chunk is the one removed.
        String direct = OpenAiReplies.direct(h, "/v1/completions", sent).body();
        List<JsonObject> events = OpenAiReplies.events(direct);
        JsonObject usage = events.get(events.size() - 1).getJsonObject("usage");
        String usageEvent = direct.substring(direct.lastIndexOf("data: {"), direct.indexOf("data: [DONE]"));
        assertThat(OpenAiReplies.withoutCallIds(r.body())).isEqualTo(OpenAiReplies.withoutCallIds(direct.replace(usageEvent, "")));
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(cost(usage)).isEqualTo(estimate(STREAM).partialCostMicros(12));
    }

    @Test
    void passesTheUsageChunkThroughWhenTheClientAskedForIt() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        String body = STREAM.replace("\"stream\":true", "\"stream\":true,\"stream_options\":{\"include_usage\":true}");
        HttpResponse<String> r = h.post("/v1/completions", body, "x-mock-cached-tokens", "2");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(h.mock.received().get(0).body().toString(StandardCharsets.UTF_8)).isEqualTo(body);
        assertThat(h.counter("spendguard.usage.injected")).isZero();
        List<JsonObject> events = OpenAiReplies.events(r.body());
        JsonObject usage = events.get(events.size() - 1).getJsonObject("usage");
        assertThat(usage.getJsonObject("prompt_tokens_details").getLong("cached_tokens")).isEqualTo(2);
        String direct = OpenAiReplies.direct(h, "/v1/completions", body, "x-mock-cached-tokens", "2").body();
        assertThat(OpenAiReplies.withoutCallIds(r.body())).isEqualTo(OpenAiReplies.withoutCallIds(direct));
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(cost(usage));
    }
}
