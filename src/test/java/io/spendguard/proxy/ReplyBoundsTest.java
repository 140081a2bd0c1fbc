package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Provider replies are read within bounds: a reply far larger than anything the proxy holds is
 * relayed byte for byte and settled once; an SSE event past the event bound cuts the stream and is
 * settled once at the reservation; usage no call can have (Long.MAX_VALUE, negative, fractional,
 * past the model) is never billed. The provider is a {@link ScriptedProvider} that generates every
 * reply on the fly.
 */
class ReplyBoundsTest extends HarnessTest {
    private static final long LIMIT = 1_000_000;
    private static final String CHAT = StreamingTest.STREAM.replace("\"stream\":true", "\"stream\":false");
    private static final String CHAT_STREAM = StreamingTest.STREAM;
    private static final String KIB_OF_WORDS = "word ".repeat(204) + "word";
    private ScriptedProvider provider;

    @AfterEach
    void closeProvider() throws Exception {
        if (provider != null) {
            provider.close();
        }
    }

    private void start(ScriptedProvider scripted) throws Exception {
        provider = scripted;
        h = start(provider.config(ProxyHarness.config(LIMIT, "", "")));
    }

    /** An OpenAI chat completion of {@code choices} choices of 64 KiB each, then its usage. */
    private static ScriptedProvider.Script bigChat(long choices, String usage) {
        String content = KIB_OF_WORDS.repeat(64);
        return new ScriptedProvider.Script(200, "application/json", ScriptedProvider.chunks(
                "{\"id\":\"chatcmpl-big\",\"object\":\"chat.completion\",\"model\":\"gpt-test\",\"choices\":[", choices,
                i -> (i == 0 ? "" : ",") + "{\"index\":" + i + ",\"message\":{\"role\":\"assistant\",\"content\":\"" + content
                        + "\"},\"finish_reason\":\"stop\"}",
                "],\"usage\":" + usage + "}"));
    }

    private static String chatUsage(long prompt, long completion) {
        return "{\"prompt_tokens\":" + prompt + ",\"completion_tokens\":" + completion + ",\"total_tokens\":" + (prompt + completion) + "}";
    }

    /** Reads the reply whole as it streams past, keeping only its length and SHA-256. */
    private static String[] lengthAndSha256(InputStream body) throws IOException {
        MessageDigest digest = ScriptedProvider.sha256();
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = body.read(buf)) > 0; ) {
            digest.update(buf, 0, n);
            total += n;
        }
        return new String[] {Long.toString(total), HexFormat.of().formatHex(digest.digest())};
    }

    @Test
    void relaysA64MibJsonReplyByteForByteAndSettlesItOnceFromItsUsage() throws Exception {
        Estimate e = StreamingTest.estimate(CHAT);
        start(new ScriptedProvider(req -> bigChat(1024, chatUsage(e.inputTokens(), 12))));

        HttpResponse<InputStream> r = h.http.send(h.chatRequest(CHAT), HttpResponse.BodyHandlers.ofInputStream());
        String[] got = lengthAndSha256(r.body());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Long.parseLong(got[0])).isGreaterThan(64L * 1024 * 1024).isEqualTo(provider.sentBytes.get());
        assertThat(got[1]).isEqualTo(provider.sentSha256.get());
        assertThat(r.headers().firstValue("X-SpendGuard-Decision-Id")).isPresent();
        // Too large to hold until its usage is known: it carries no cost headers.
        assertThat(r.headers().firstValue("X-SpendGuard-Cost-Usd-Micros")).isEmpty();
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(e.partialCostMicros(12));
        assertThat(h.counter("spendguard.usage.rejected")).isZero();
        assertThat(h.counter("spendguard.replay.not.kept")).as("no idempotency key, nothing to keep").isZero();
    }

    @Test
    void aReplyTooLargeToHoldIsRelayedButNotKeptForReplayAndCounted() throws Exception {
        Estimate e = StreamingTest.estimate(CHAT);
        start(new ScriptedProvider(req -> bigChat(80, chatUsage(e.inputTokens(), 12))));

        for (int attempt = 1; attempt <= 2; attempt++) {
            HttpResponse<InputStream> r = h.http.send(h.chatRequest(CHAT, "Idempotency-Key", "big-1"),
                    HttpResponse.BodyHandlers.ofInputStream());
            String[] got = lengthAndSha256(r.body());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("X-SpendGuard-Idempotent-Replay")).isEmpty();
            assertThat(got[1]).isEqualTo(provider.sentSha256.get());
            int calls = attempt;
            ProxyHarness.await("settled " + calls, () -> h.settlements() >= calls);
        }

        assertThat(provider.calls.get()).as("not replayed: forwarded again").isEqualTo(2);
        assertThat(h.counter("spendguard.replay.not.kept", "reason", "too_large")).isEqualTo(2);
        h.assertSettled(2, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(2 * e.partialCostMicros(12));
    }

    @Test
    void commitsTheReservationWhenTheUsageScanPassesItsBoundAndStillRelaysTheReply() throws Exception {
        Estimate e = StreamingTest.estimate(CHAT);
        // One string of 9 MiB: more than the scan reads through, so the usage after it is unknown.
        start(new ScriptedProvider(req -> new ScriptedProvider.Script(200, "application/json", ScriptedProvider.chunks(
                "{\"id\":\"c\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"", 9 * 64,
                i -> KIB_OF_WORDS.repeat(16), "\"}}],\"usage\":" + chatUsage(e.inputTokens(), 12) + "}"))));

        HttpResponse<InputStream> r = h.http.send(h.chatRequest(CHAT), HttpResponse.BodyHandlers.ofInputStream());
        String[] got = lengthAndSha256(r.body());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(got[1]).isEqualTo(provider.sentSha256.get());
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(e.claimMicros());
        assertThat(h.counter("spendguard.usage.rejected", "reason", "scan_limit")).isEqualTo(1);
    }

    /** Two whole events for the provider, then one that never ends: the proxy must cut it. */
    private static ScriptedProvider.Script endlessEvent(String provider) {
        String first = "anthropic".equals(provider)
                ? "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":{\"input_tokens\":10,"
                        + "\"output_tokens\":1}}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                        + "\"delta\":{\"type\":\"text_delta\",\"text\":\"first\"}}\n\n"
                : "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
                        + "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"first\"}}]}\n\n";
        // Up to 64 MiB of one event with no blank line; the provider stops when the proxy hangs up.
        return new ScriptedProvider.Script(200, "text/event-stream", ScriptedProvider.chunks(first + "data: {\"pad\":\"", 1024,
                i -> KIB_OF_WORDS.repeat(64), "\"}"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openai", "anthropic"})
    void cutsAStreamWhoseEventPassesTheBoundAndCommitsTheReservationOnce(String which) throws Exception {
        start(new ScriptedProvider(req -> endlessEvent(which)));
        boolean anthropic = "anthropic".equals(which);
        String body = anthropic ? AnthropicCalls.body(true, 100) : CHAT_STREAM;
        Estimate e = anthropic ? AnthropicCalls.estimate(body) : StreamingTest.estimate(body);

        String got = readUntilClosed(h.server.port(), anthropic ? "/v1/messages" : "/v1/chat/completions",
                anthropic ? AnthropicCalls.RAW_HEADERS : "Authorization: Bearer sk-client-secret-1234\r\n", body);

        assertThat(got).startsWith("HTTP/1.1 200").contains("\"first\"").doesNotContain("\"pad\"")
                .as("cut, not ended: no last chunk").doesNotEndWith("0\r\n\r\n");
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(e.claimMicros());
        assertThat(h.counter("spendguard.stream.cuts", "reason", "event_too_large")).isEqualTo(1);
        assertThat(h.counter("spendguard.interrupted")).as("neither side broke off").isZero();
        ProxyHarness.await("no stream left open", () -> h.registry.find("spendguard.streams.active").gauge().value() == 0);
        ProxyHarness.await("the provider call cancelled", () -> provider.hungUpOn.get());
        assertThat(provider.sentBytes.get()).as("the provider never got to the end").isZero();
    }

    /** Sends one call over a bare socket and reads until the proxy closes it (at most 16 MiB). */
    private static String readUntilClosed(int port, String path, String headers, String body) throws Exception {
        byte[] payload = body.getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + headers
                    + "Content-Length: " + payload.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(payload);
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream seen = new ByteArrayOutputStream();
            byte[] buf = new byte[64 * 1024];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    seen.write(buf, 0, n);
                    if (seen.size() > 16 * 1024 * 1024) {
                        throw new AssertionError("the stream was not cut: " + seen.size() + " bytes read");
                    }
                }
            } catch (java.net.SocketException reset) {
                // a reset is a cut too
            }
            return seen.toString(StandardCharsets.UTF_8);
        }
    }

    /** A reply of the given shape whose usage carries {@code count} where a token count goes. */
    private static ScriptedProvider.Script badUsage(String shape, String count) {
        return switch (shape) {
            case "openai_json" -> new ScriptedProvider.Script(200, "application/json", List.of(Buffer.buffer(
                    "{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                            + "\"content\":\"hi\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":" + count
                            + ",\"completion_tokens\":3,\"total_tokens\":3}}")).iterator());
            case "openai_stream" -> new ScriptedProvider.Script(200, "text/event-stream", List.of(
                    Buffer.buffer("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n"),
                    Buffer.buffer("data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":" + count
                            + ",\"completion_tokens\":3}}\n\n"),
                    Buffer.buffer("data: [DONE]\n\n")).iterator());
            case "anthropic_json" -> new ScriptedProvider.Script(200, "application/json", List.of(Buffer.buffer(
                    "{\"id\":\"msg\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-test\",\"content\":[{\"type\":"
                            + "\"text\",\"text\":\"hi\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":10,"
                            + "\"output_tokens\":" + count + "}}")).iterator());
            default -> new ScriptedProvider.Script(200, "text/event-stream", List.of(
                    Buffer.buffer("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":"
                            + "{\"input_tokens\":10,\"output_tokens\":1}}}\n\n"),
                    Buffer.buffer("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                            + "{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n"),
                    Buffer.buffer("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
                            + "\"usage\":{\"output_tokens\":" + count + "}}\n\n"),
                    Buffer.buffer("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")).iterator());
        };
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "openai_json, 9223372036854775807, out_of_range", "openai_json, -5, invalid", "openai_json, 1.5, invalid",
        "openai_json, 5000000, out_of_range", "openai_json, 1e30, invalid", "openai_json, '\"12\"', invalid",
        "openai_stream, 9223372036854775807, out_of_range", "openai_stream, -5, invalid", "openai_stream, 1.5, invalid",
        "anthropic_json, 9223372036854775807, out_of_range", "anthropic_json, -5, invalid", "anthropic_json, 1.5, invalid",
        "anthropic_json, 5000000, out_of_range",
        "anthropic_stream, 9223372036854775807, out_of_range", "anthropic_stream, -5, invalid", "anthropic_stream, 1.5, invalid"})
    void commitsTheReservationAndCountsItWhenUsageIsNotASaneCount(String shape, String count, String reason) throws Exception {
        start(new ScriptedProvider(req -> badUsage(shape, count)));
        boolean anthropic = shape.startsWith("anthropic");
        boolean stream = shape.endsWith("stream");
        String body = anthropic ? AnthropicCalls.body(stream, 100) : stream ? CHAT_STREAM : CHAT;
        Estimate e = anthropic ? AnthropicCalls.estimate(body) : StreamingTest.estimate(body);

        for (int call = 1; call <= 2; call++) {
            HttpResponse<String> r = anthropic ? AnthropicCalls.send(h, body) : h.chat(body);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("hi");
        }

        h.assertSettled(2, "default");
        var budget = h.budget("default");
        assertThat(budget.committedMicros()).isEqualTo(2 * e.claimMicros());
        assertThat(budget.remainingMicros()).isEqualTo(LIMIT - 2 * e.claimMicros());
        assertThat(h.counter("spendguard.usage.rejected", "reason", reason)).isEqualTo(2);
        assertThat(h.counter("spendguard.usage.rejected")).isEqualTo(2);
        assertThat(h.counter("spendguard.committed.usd.micros")).isEqualTo(2.0 * e.claimMicros());
    }

    @Test
    void everyBoundCounterIsExportedAtZeroFromStartUp() throws Exception {
        start(new ScriptedProvider(req -> badUsage("openai_json", "1")));
        for (String reason : ProxyMetrics.USAGE_REJECTED_REASONS) {
            assertThat(h.registry.find("spendguard.usage.rejected").tag("reason", reason).counter()).as(reason).isNotNull();
        }
        assertThat(h.registry.scrape()).contains("# HELP spendguard_stream_cuts_total")
                .contains("spendguard_stream_cuts_total{reason=\"event_too_large\"} 0.0")
                .contains("spendguard_replay_not_kept_total{reason=\"too_large\"} 0.0")
                .contains("spendguard_usage_rejected_total{reason=\"scan_limit\"} 0.0");
    }
}
