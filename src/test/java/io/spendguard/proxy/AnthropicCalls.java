package io.spendguard.proxy;

import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.provider.anthropic.AnthropicMessages;
import io.spendguard.proxy.provider.SseEvents;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Anthropic Messages calls to a {@link ProxyHarness}, sent as Anthropic's SDKs send them
 * ({@code x-api-key}, {@code anthropic-version}), and what they cost at {@code claude-test} prices.
 */
final class AnthropicCalls {
    static final String KEY = "sk-ant-client-secret-1234";
    static final String VERSION = "2023-06-01";
    /** The raw header lines {@link RawClient} sends for a Messages call. */
    static final String RAW_HEADERS = "x-api-key: " + KEY + "\r\nanthropic-version: " + VERSION + "\r\n";

    private AnthropicCalls() { }

    /** A {@code claude-test} call with a system prompt and one user turn. */
    static String body(boolean stream, int maxTokens) {
        return "{\"model\":\"claude-test\",\"max_tokens\":" + maxTokens + ",\"stream\":" + stream
                + ",\"system\":\"You are terse.\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
                + "\"text\":\"Name three colours of the rainbow, please.\"}]}]}";
    }

    static HttpRequest request(ProxyHarness h, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(h.uri("/v1/messages"))
                .timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json")
                .header("x-api-key", KEY)
                .header("anthropic-version", VERSION)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    static HttpResponse<String> send(ProxyHarness h, String body, String... headers) throws Exception {
        return h.http.send(request(h, body, headers), HttpResponse.BodyHandlers.ofString());
    }

    static Estimate estimate(String body) {
        return ChatCompletionsTest.ESTIMATOR.estimate(new AnthropicMessages().parse(new JsonObject(body)));
    }

    /**
     * µUSD of an Anthropic usage block at claude-test prices — 3 per uncached input token, 0.30 per
     * cache read, 3.75 per cache write, 15 per output token — rounded up, in whole hundredths.
     */
    static long cost(JsonObject usage) {
        long hundredths = usage.getLong("input_tokens") * 300 + usage.getLong("cache_read_input_tokens", 0L) * 30
                + usage.getLong("cache_creation_input_tokens", 0L) * 375 + usage.getLong("output_tokens") * 1500;
        return (hundredths + 99) / 100;
    }

    /** The usage of the stream's {@code message_delta} event (which repeats the input counts). */
    static JsonObject streamUsage(String sse) {
        for (String event : sse.split("\n\n")) {
            byte[] bytes = SseEvents.data(Buffer.buffer(event));
            JsonObject data = bytes == null ? null : new JsonObject(Buffer.buffer(bytes));
            if (data != null && "message_delta".equals(data.getString("type"))) {
                return data.getJsonObject("usage");
            }
        }
        throw new AssertionError("no message_delta in " + sse);
    }
}
