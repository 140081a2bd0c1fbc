package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.config.ProxyConfig.EstimationConfig;
import io.spendguard.proxy.estimate.Estimator;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.mock.MockProvider;
import io.spendguard.proxy.provider.openai.OpenAiChat;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * DEGRADE end to end: a budget with {@code degrade_to} switches calls to the cheaper model once
 * little is left; the changed call is what is reserved, forwarded and settled, and the reply says
 * what changed. {@link DegradeSidecarTest} runs the same through our sidecar.
 */
class DegradeTest extends HarnessTest {
    private static final String BODY = "{\"model\":\"gpt-test\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    private static final String CHEAP = "gpt-4o-mini";
    private static final Estimator ESTIMATOR = new Estimator(ProxyHarness.PRICES, new TokenCounter(), new EstimationConfig(4096, false));

    private static String degradeBelow(String usd) {
        return "degrade_to: { model: " + CHEAP + ", below_remaining_usd: " + usd + " }";
    }

    private static long claim(String body) {
        return ESTIMATOR.estimate(new OpenAiChat().parse(new JsonObject(body))).claimMicros();
    }

    /** µUSD of an OpenAI usage block at {@code model}'s test price. */
    static long cost(String model, JsonObject usage) {
        long prompt = usage.getLong("prompt_tokens");
        long cached = usage.getJsonObject("prompt_tokens_details").getLong("cached_tokens");
        return ProxyHarness.PRICES.lookup(model).costMicros(new Usage(prompt - cached, cached, 0, usage.getLong("completion_tokens")));
    }

    @Test
    void belowTheThresholdTheCallGoesToTheCheaperModelAndIsSettledAtItsPrice() throws Exception {
        h = start(ProxyHarness.config(1_000_000, degradeBelow("5.00"), ""));

        HttpResponse<String> r = h.chat(BODY);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-SpendGuard-Degraded")).hasValue("model=" + CHEAP);
        JsonObject sent = new JsonObject(h.mock.received().get(0).body());
        assertThat(sent.getString("model")).isEqualTo(CHEAP);
        assertThat(sent.copy().put("model", "gpt-test")).isEqualTo(new JsonObject(BODY));
        String degraded = BODY.replace("gpt-test", CHEAP);
        long reserved = r.headers().firstValueAsLong("X-SpendGuard-Reserved-Usd-Micros").getAsLong();
        // The embedded engine reserves the changed call; the sidecar protocol holds the original claim.
        assertThat(reserved).isEqualTo(h.sidecarMode() ? claim(BODY) : claim(degraded));
        assertThat(claim(degraded)).isLessThan(claim(BODY));
        long cost = cost(CHEAP, ProxyHarness.json(r).getJsonObject("usage"));
        assertThat(r.headers().firstValueAsLong("X-SpendGuard-Cost-Usd-Micros").getAsLong()).isEqualTo(cost);
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(cost);
        assertThat(h.counter("spendguard.decisions", "decision", "DEGRADE")).isEqualTo(1);
    }

    @Test
    void aStreamIsDegradedTooAndSettledFromItsUsage() throws Exception {
        h = start(ProxyHarness.config(1_000_000, degradeBelow("5.00"), ""));
        String stream = BODY.replace("\"max_tokens\":50", "\"max_tokens\":50,\"stream\":true");

        HttpResponse<String> r = h.chat(stream);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-SpendGuard-Degraded")).hasValue("model=" + CHEAP);
        assertThat(r.body()).contains("\"model\":\"" + CHEAP + "\"").endsWith("data: [DONE]\n\n").doesNotContain("\"usage\":{");
        MockProvider.Received sent = h.mock.received().get(0);
        assertThat(new JsonObject(sent.body()).getString("model")).isEqualTo(CHEAP);
        assertThat(new JsonObject(sent.body()).getJsonObject("stream_options").getBoolean("include_usage")).isTrue();
        h.assertSettled(1, "default");
        // The mock bills the prompt's o200k tokens + framing and 12 output tokens.
        long prompt = 3 + 3 + 1 + 2;
        assertThat(h.budget("default").committedMicros())
                .isEqualTo(ProxyHarness.PRICES.lookup(CHEAP).costMicros(new Usage(prompt, 0, 0, 12)));
    }

    @Test
    void aboveTheThresholdOrOnTheCheaperModelAlreadyNothingChanges() throws Exception {
        h = start(ProxyHarness.config(1_000_000, degradeBelow("0.10"), ""));

        HttpResponse<String> above = h.chat(BODY);
        HttpResponse<String> same = h.chat(BODY.replace("gpt-test", CHEAP));

        assertThat(above.statusCode()).isEqualTo(200);
        assertThat(above.headers().firstValue("X-SpendGuard-Degraded")).isEmpty();
        assertThat(new JsonObject(h.mock.received().get(0).body()).getString("model")).isEqualTo("gpt-test");
        assertThat(same.headers().firstValue("X-SpendGuard-Degraded")).isEmpty();
        h.assertSettled(2, "default");
    }

    @Test
    void whenEvenTheCheaperCallDoesNotFitItIsA402AndNothingIsForwarded() throws Exception {
        h = start(ProxyHarness.config(20, degradeBelow("5.00"), ""));

        HttpResponse<String> r = h.chat(BODY);

        assertThat(r.statusCode()).isEqualTo(402);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("code")).isEqualTo("BUDGET_EXHAUSTED");
        assertThat(h.mock.received()).isEmpty();
        assertThat(h.budget("default").reservedMicros()).isZero();
        assertThat(h.budget("default").committedMicros()).isZero();
    }
}
