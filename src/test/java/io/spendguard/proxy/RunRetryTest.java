package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.forward.Relay;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retries collapse within an agent run (SPEC §10 {@code runs.dedupe_retries}): a call with
 * {@code X-SpendGuard-Run-Id} and no idempotency key is deduplicated under a key derived from the run
 * id, route and body bytes, so a byte-identical retry in the same run is replayed (JSON or SSE, byte
 * for byte), told to retry while the first is in flight, and forwarded again after the first failed;
 * any other body or run is a new call.
 */
class RunRetryTest extends HarnessTest {
    private static final String BODY = ChatCompletionsTest.BODY;
    private static final String STREAM = StreamingTest.STREAM;
    private static final String RUN = "X-SpendGuard-Run-Id";
    private static final String REPLAY = "X-SpendGuard-Idempotent-Replay";
    private ScriptedProvider provider;

    @AfterEach
    void closeProvider() throws Exception {
        if (provider != null) {
            provider.close();
        }
    }

    private void start() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
    }

    @Test
    void replaysAByteIdenticalRetryInTheSameRunWithoutForwardingOrChargingIt() throws Exception {
        start();
        HttpResponse<String> first = h.chat(BODY, RUN, "run-a");
        HttpResponse<String> retry = h.chat(BODY, RUN, "run-a");

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue(REPLAY)).isEmpty();
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(retry.headers().firstValue(REPLAY)).hasValue("true");
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.headers().firstValue("X-SpendGuard-Decision-Id")).isEqualTo(first.headers().firstValue("X-SpendGuard-Decision-Id"));
        assertThat(h.mock.served()).isEqualTo(1);
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(ChatCompletionsTest.cost(ProxyHarness.json(first)));
        assertThat(h.counter("spendguard.reserved.usd.micros")).as("nothing reserved for the replay")
                .isEqualTo(ChatCompletionsTest.claim(BODY));
        ProxyHarness.await("replay counted", () -> h.counter("spendguard.requests", "outcome", "replayed") == 1);
    }

    @Test
    void anotherBodyInTheRunOrTheSameBodyInAnotherRunIsANewCall() throws Exception {
        start();
        String other = BODY.replace("hello", "goodbye");
        assertThat(h.chat(BODY, RUN, "run-a").statusCode()).isEqualTo(200);
        HttpResponse<String> otherBody = h.chat(other, RUN, "run-a");
        HttpResponse<String> otherRun = h.chat(BODY, RUN, "run-b");
        HttpResponse<String> noRun = h.chat(BODY);
        HttpResponse<String> ownKey = h.chat(BODY, RUN, "run-a", "Idempotency-Key", "own-1");

        for (HttpResponse<String> r : java.util.List.of(otherBody, otherRun, noRun, ownKey)) {
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue(REPLAY)).isEmpty();
        }
        assertThat(h.mock.served()).isEqualTo(5);
        // The retry of each is a replay of its own reply.
        assertThat(h.chat(other, RUN, "run-a").body()).isEqualTo(otherBody.body());
        assertThat(h.chat(BODY, RUN, "run-b").body()).isEqualTo(otherRun.body());
        assertThat(h.chat(BODY, RUN, "run-a", "Idempotency-Key", "own-1").body()).isEqualTo(ownKey.body());
        assertThat(h.mock.served()).isEqualTo(5);
        h.assertSettled(5, "default");
    }

    @Test
    void replaysARetriedStreamByteForByte() throws Exception {
        start();
        HttpResponse<String> first = h.chat(STREAM, RUN, "run-s");
        HttpResponse<String> retry = h.chat(STREAM, RUN, "run-s");

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).endsWith("data: [DONE]\n\n").doesNotContain("\"prompt_tokens\"");
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(retry.headers().firstValue(REPLAY)).hasValue("true");
        assertThat(retry.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        assertThat(retry.headers().firstValue("transfer-encoding")).isEmpty();
        assertThat(retry.body().getBytes(StandardCharsets.UTF_8)).isEqualTo(first.body().getBytes(StandardCharsets.UTF_8));
        assertThat(h.mock.served()).isEqualTo(1);
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(StreamingTest.estimate(STREAM).partialCostMicros(12));
        assertThat(h.counter("spendguard.replay.not.kept")).isZero();
    }

    @Test
    void replaysARetriedStreamStoredBesideTheSqliteLedger(@TempDir Path dir) throws Exception {
        h = start(ProxyHarness.withLedger(ProxyHarness.config(1_000_000, "", ""),
                "{ kind: sqlite, path: \"" + dir.resolve("ledger.db") + "\" }"));
        HttpResponse<String> first = h.chat(STREAM, RUN, "run-s");
        HttpResponse<String> retry = h.chat(STREAM, RUN, "run-s");

        assertThat(retry.headers().firstValue(REPLAY)).hasValue("true");
        assertThat(retry.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        assertThat(retry.body()).isEqualTo(first.body()).endsWith("data: [DONE]\n\n");
        assertThat(h.mock.served()).isEqualTo(1);
        h.assertSettled(1, "default");
    }

    @Test
    void tellsARetryWhileTheFirstIsInFlightToRetryAndThenReplays() throws Exception {
        start();
        CompletableFuture<HttpResponse<String>> slow = h.http.sendAsync(
                h.chatRequest(BODY, RUN, "run-f", "x-mock-latency-ms", "1500"), HttpResponse.BodyHandlers.ofString());
        ProxyHarness.await("first call forwarded", () -> h.mock.served() == 1);

        HttpResponse<String> dup = h.chat(BODY, RUN, "run-f");
        assertThat(dup.statusCode()).isEqualTo(409);
        JsonObject error = ProxyHarness.json(dup).getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("idempotency_in_flight");
        assertThat(error.getString("message")).isEqualTo("A request with the same body in this run is still in flight.");
        assertThat(dup.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(dup.headers().firstValue("x-should-retry")).isEmpty();

        HttpResponse<String> first = slow.join();
        assertThat(first.statusCode()).isEqualTo(200);
        HttpResponse<String> retry = h.chat(BODY, RUN, "run-f");
        assertThat(retry.headers().firstValue(REPLAY)).hasValue("true");
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(h.mock.served()).isEqualTo(1);
        h.assertSettled(1, "default");
    }

    @Test
    void forwardsEveryRetryWhenDedupingRetriesIsOff() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", "runs: { dedupe_retries: false }"));
        HttpResponse<String> first = h.chat(BODY, RUN, "run-a");
        HttpResponse<String> second = h.chat(BODY, RUN, "run-a");

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().firstValue(REPLAY)).isEmpty();
        assertThat(h.mock.served()).isEqualTo(2);
        h.assertSettled(2, "default");
        assertThat(h.budget("default").committedMicros())
                .isEqualTo(ChatCompletionsTest.cost(ProxyHarness.json(first)) + ChatCompletionsTest.cost(ProxyHarness.json(second)));
    }

    @Test
    void forwardsTheRetryAgainAfterAProviderErrorOrACutStream() throws Exception {
        start();
        HttpResponse<String> failed = h.chat(BODY, RUN, "run-e", "x-mock-status", "500");
        assertThat(failed.statusCode()).isEqualTo(500);
        HttpResponse<String> retried = h.chat(BODY, RUN, "run-e");
        assertThat(retried.statusCode()).as("a released first call frees the key").isEqualTo(200);
        assertThat(retried.headers().firstValue(REPLAY)).isEmpty();
        assertThat(h.mock.served()).isEqualTo(2);

        // The provider breaks off mid-stream: what the client got is not kept.
        try {
            h.chat(STREAM, RUN, "run-e", "x-mock-reset-after-chunks", "3");
        } catch (java.io.IOException cut) {
            // The client sees the stream broken off.
        }
        ProxyHarness.await("the cut stream settled", () -> h.settlements() >= 3);
        HttpResponse<String> stream = h.chat(STREAM, RUN, "run-e");
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.headers().firstValue(REPLAY)).isEmpty();
        assertThat(stream.body()).endsWith("data: [DONE]\n\n");
        assertThat(h.mock.served()).isEqualTo(4);
        h.assertSettled(4, "default");
    }

    @Test
    void aStreamPastTheKeepBoundIsRelayedWholeButNotKeptAndCounted() throws Exception {
        Estimate e = StreamingTest.estimate(STREAM);
        String pad = "mock ".repeat(200);
        String usage = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":"
                + e.inputTokens() + ",\"completion_tokens\":12,\"total_tokens\":" + (e.inputTokens() + 12) + "}}\n\n";
        long events = Relay.KEEP_STREAM_BYTES / 1000 + 100;
        provider = new ScriptedProvider(req -> new ScriptedProvider.Script(200, "text/event-stream", ScriptedProvider.chunks(
                "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n",
                events, i -> "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
                        + pad + "\"}}]}\n\n",
                usage + "data: [DONE]\n\n")));
        h = start(provider.config(ProxyHarness.config(1_000_000, "", "")));

        for (int attempt = 1; attempt <= 2; attempt++) {
            HttpResponse<String> r = h.chat(STREAM, RUN, "run-big");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue(REPLAY)).isEmpty();
            assertThat(r.body().length()).isGreaterThan(Relay.KEEP_STREAM_BYTES);
            assertThat(r.body()).endsWith("data: [DONE]\n\n").doesNotContain("\"prompt_tokens\"");
            int calls = attempt;
            ProxyHarness.await("settled " + calls, () -> h.settlements() >= calls);
        }

        assertThat(provider.calls.get()).as("not replayed: forwarded again").isEqualTo(2);
        assertThat(h.counter("spendguard.replay.not.kept", "reason", "too_large")).isEqualTo(2);
        h.assertSettled(2, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(2 * e.partialCostMicros(12));
    }

    @Test
    void refusesARunIdLongerThan128Bytes() throws Exception {
        start();
        HttpResponse<String> tooLong = h.chat(BODY, RUN, "r".repeat(129));
        assertThat(tooLong.statusCode()).isEqualTo(400);
        JsonObject error = ProxyHarness.json(tooLong).getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("invalid_request");
        assertThat(error.getString("param")).isEqualTo(RUN);
        assertThat(error.getString("message")).contains("128 bytes");
        assertThat(h.chat(BODY, RUN, "r".repeat(128)).statusCode()).isEqualTo(200);

        // Bytes, not characters: 65 two-byte characters are 130 bytes; 64 are 128.
        assertThat(rawStatus("é".repeat(65))).isEqualTo(400);
        assertThat(rawStatus("é".repeat(64))).isEqualTo(200);
        assertThat(h.mock.served()).isEqualTo(2);
        h.assertSettled(2, "default");
    }

    /** The status of a chat completion sent over a bare socket with {@code runId} as UTF-8 bytes. */
    private int rawStatus(String runId) throws Exception {
        byte[] payload = BODY.getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", h.server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer sk-client-secret-1234\r\nConnection: close\r\n" + RUN + ": " + runId
                    + "\r\nContent-Length: " + payload.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.write(payload);
            out.flush();
            InputStream in = socket.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return Integer.parseInt(reply.substring("HTTP/1.1 ".length(), "HTTP/1.1 ".length() + 3));
        }
    }
}
