package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.mock.MockProvider;
import io.spendguard.proxy.provider.openai.OpenAiChat;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** SSE relay: chunk by chunk, usage asked for on the client's behalf and removed again, settled from the final chunk. */
class StreamingTest extends HarnessTest {
    static final String STREAM = "{\"model\":\"gpt-test\",\"stream\":true,\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";

    static Estimate estimate(String body) {
        return ChatCompletionsTest.ESTIMATOR.estimate(new OpenAiChat().parse(new JsonObject(body)));
    }

    @Test
    void asksForUsageRemovesTheInjectedUsageChunkAndSettlesFromIt() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = h.chat(STREAM);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        assertThat(r.headers().firstValue("X-SpendGuard-Decision-Id")).isPresent();
        assertThat(r.headers().firstValueAsLong("X-SpendGuard-Reserved-Usd-Micros").getAsLong()).isEqualTo(estimate(STREAM).claimMicros());
        assertThat(r.body()).doesNotContain("\"choices\":[]").doesNotContain("\"prompt_tokens\"").endsWith("data: [DONE]\n\n");
        assertThat(r.body().split("\n\n")).hasSize(12 + 2 + 1);

        MockProvider.Received sent = h.mock.received().get(0);
        assertThat(sent.body().toString(StandardCharsets.UTF_8))
                .isEqualTo(STREAM.replaceFirst("\\{", "{\"stream_options\":{\"include_usage\":true},"));
        assertThat(h.counter("spendguard.usage.injected")).isEqualTo(1);

        h.assertSettled(1, "default");
        // The mock bills prompt tokens exactly as the estimator counts them, and 12 output tokens.
        assertThat(h.budget("default").committedMicros()).isEqualTo(estimate(STREAM).partialCostMicros(12));
    }

    @Test
    void passesTheUsageChunkThroughWhenTheClientAskedForIt() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        String body = STREAM.replace("\"stream\":true", "\"stream\":true,\"stream_options\":{\"include_usage\":true}");
        HttpResponse<String> r = h.chat(body, "x-mock-cached-tokens", "2");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"choices\":[]").contains("\"cached_tokens\":2");
        assertThat(h.mock.received().get(0).body().toString(StandardCharsets.UTF_8)).isEqualTo(body);
        assertThat(h.counter("spendguard.usage.injected")).isZero();
        h.assertSettled(1, "default");
        long input = estimate(body).inputTokens();
        assertThat(h.budget("default").committedMicros()).isEqualTo((input - 2) + 1 + 12 * 2);
    }

    @Test
    void relaysEventsAsTheyArriveRatherThanBufferingTheStream() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        long started = System.nanoTime();
        String firstEvents = RawClient.sendAndHangUp(h.server.port(), STREAM.replace("50", "200"),
                "x-mock-output-tokens: 100\r\nx-mock-chunk-delay-ms: 40\r\n", "data: ", 2, 0);
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(firstEvents).contains("HTTP/1.1 200").contains("data: ");
        // 100 chunks 40 ms apart take 4 s to finish; the first events arrive long before.
        assertThat(elapsedMs).isLessThan(3_000);
        h.assertSettled(1, "default");
    }
}
