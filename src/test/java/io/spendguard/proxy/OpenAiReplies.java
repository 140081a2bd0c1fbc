package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading what the mock provider answered, for the route tests: the JSON of each SSE event, the
 * cost of a usage at the test prices, and the same call made to the mock directly (to compare bytes).
 */
final class OpenAiReplies {
    private OpenAiReplies() { }

    /** µUSD of {@code gpt-test} usage: 1 per uncached input token, 0.5 per cached, 2 per output token, rounded up. */
    static long gptTestCost(long input, long cached, long output) {
        return BigDecimal.valueOf(input - cached).add(BigDecimal.valueOf(cached).multiply(new BigDecimal("0.5")))
                .add(BigDecimal.valueOf(output * 2)).setScale(0, RoundingMode.CEILING).longValueExact();
    }

    /** µUSD of {@code text-embedding-test} usage: 0.1 per input token, rounded up. */
    static long embeddingTestCost(long input) {
        return BigDecimal.valueOf(input).multiply(new BigDecimal("0.10")).setScale(0, RoundingMode.CEILING).longValueExact();
    }

    /** The JSON data of every event of an SSE body ({@code [DONE]} left out). */
    static List<JsonObject> events(String sse) {
        List<JsonObject> out = new ArrayList<>();
        for (String event : sse.split("\n\n")) {
            int data = event.indexOf("data: {");
            if (data >= 0) {
                out.add(new JsonObject(event.substring(data + 6)));
            }
        }
        return out;
    }

    /** The last event of type {@code type} (Responses streams name each event's type in it). */
    static JsonObject last(String sse, String type) {
        List<JsonObject> matching = events(sse).stream().filter(e -> type.equals(e.getString("type"))).toList();
        return matching.isEmpty() ? null : matching.get(matching.size() - 1);
    }

    /** POSTs to the mock provider itself, bypassing the proxy. */
    static HttpResponse<String> direct(ProxyHarness h, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.mock.port() + path))
                .timeout(Duration.ofSeconds(20)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return h.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Asserts a JSON reply: the body went to the mock as sent, {@code claim} was reserved, and the call
     * settled exactly once at {@code cost}, which the cost headers report.
     */
    static void assertBilledOnce(ProxyHarness h, HttpResponse<String> r, String sent, long claim, long cost) throws Exception {
        assertThat(r.headers().firstValue("X-SpendGuard-Decision-Id")).isPresent();
        assertThat(r.headers().firstValueAsLong("X-SpendGuard-Reserved-Usd-Micros").getAsLong()).isEqualTo(claim);
        assertThat(r.headers().firstValueAsLong("X-SpendGuard-Cost-Usd-Micros").getAsLong()).isEqualTo(cost);
        if (!h.sidecarMode()) {
            // The sidecar protocol reports no budget state after a commit.
            assertThat(r.headers().firstValueAsLong("X-SpendGuard-Budget-Remaining-Usd-Micros").getAsLong())
                    .isEqualTo(h.budget("default").spec().limitMicros() - cost);
        }
        assertThat(h.mock.received().get(0).body().toString(StandardCharsets.UTF_8)).isEqualTo(sent);
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(cost);
    }

    /** A mock reply with what differs from call to call (ids carry a sequence number; timestamps) blanked out. */
    static String withoutCallIds(String reply) {
        return reply.replaceAll("mock[0-9a-f]+", "mock#").replaceAll("\"(created|created_at)\":\\d+", "\"$1\":0");
    }
}
