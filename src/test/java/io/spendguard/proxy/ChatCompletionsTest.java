package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.config.ProxyConfig.EstimationConfig;
import io.spendguard.proxy.estimate.Estimator;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.mock.MockProvider;
import io.spendguard.proxy.provider.openai.OpenAiChat;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The gated chat completions route end to end on the embedded engine: forward, 402, 409, idempotency, concurrency. */
class ChatCompletionsTest extends HarnessTest {
    static final String BODY = "{\"model\":\"gpt-test\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    static final Estimator ESTIMATOR = new Estimator(ProxyHarness.PRICES, new TokenCounter(), new EstimationConfig(4096, false));

    static long claim(String body) {
        return ESTIMATOR.estimate(new OpenAiChat().parse(new JsonObject(body))).claimMicros();
    }

    /** µUSD of a reply's usage at gpt-test prices: 1 per uncached input token, 0.5 per cached, 2 per output token. */
    static long cost(JsonObject reply) {
        JsonObject u = reply.getJsonObject("usage");
        long prompt = u.getLong("prompt_tokens");
        long cached = u.getJsonObject("prompt_tokens_details").getLong("cached_tokens");
        return (long) Math.ceil((prompt - cached) + cached * 0.5 + u.getLong("completion_tokens") * 2);
    }

    @Test
    void forwardsTheOriginalBytesAndSettlesTheCostFromUsage() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        String body = "{ \"model\":\"gpt-test\",\n \"max_tokens\":50, \"messages\":[{\"role\":\"user\",\"content\":\"Caf\\u00e9?\"}]}";
        HttpResponse<String> r = h.chat(body, "X-SpendGuard-Run-Id", "run-1", "x-custom", "kept", "x-mock-cached-tokens", "4");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject reply = ProxyHarness.json(r);
        long cost = cost(reply);
        assertThat(r.headers().firstValue("X-SpendGuard-Decision-Id")).isPresent();
        assertThat(r.headers().firstValueAsLong("X-SpendGuard-Reserved-Usd-Micros").getAsLong()).isEqualTo(claim(body));
        assertThat(r.headers().firstValueAsLong("X-SpendGuard-Cost-Usd-Micros").getAsLong()).isEqualTo(cost);
        if (!h.sidecarMode()) {
            // The sidecar protocol reports no budget state after a commit.
            assertThat(r.headers().firstValueAsLong("X-SpendGuard-Budget-Remaining-Usd-Micros").getAsLong()).isEqualTo(1_000_000 - cost);
        }
        assertThat(r.headers().firstValue("x-request-id")).hasValueSatisfying(v -> assertThat(v).startsWith("req_"));

        MockProvider.Received sent = h.mock.received().get(0);
        assertThat(sent.body().toString(StandardCharsets.UTF_8)).isEqualTo(body);
        assertThat(sent.headers().get("authorization")).isEqualTo("Bearer sk-client-secret-1234");
        assertThat(sent.headers().get("x-custom")).isEqualTo("kept");
        assertThat(sent.headers().names()).noneMatch(n -> n.toLowerCase().startsWith("x-spendguard"));

        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(cost);
        ProxyHarness.await("request counted", () -> h.counter("spendguard.requests", "route", "chat_completions", "outcome", "ok") == 1);
    }

    @Test
    void estimatesALargePromptOnAWorkerAndForwardsItIntact() throws Exception {
        h = start(ProxyHarness.config(10_000_000, "", "").replace("max_body_bytes: 65536", "max_body_bytes: 4194304"));
        String text = "The quick brown fox jumps over the lazy dog. ".repeat(8_000);
        String body = "{\"model\":\"gpt-test\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
        assertThat(body.length()).isGreaterThan(300_000);
        HttpResponse<String> r = h.chat(body);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-SpendGuard-Decision-Id")).as("a new, time-ordered id (DecisionIds)")
                .hasValueSatisfying(id -> assertThat(java.util.UUID.fromString(id).version()).isEqualTo(7));
        assertThat(r.headers().firstValueAsLong("X-SpendGuard-Reserved-Usd-Micros").getAsLong()).isEqualTo(claim(body));
        assertThat(h.mock.received().get(0).body().length()).isEqualTo(body.length());
        h.assertSettled(1, "default");
    }

    @Test
    void refusesWith402OnceTheBudgetIsSpentAndTheLedgerEqualsUsageTimesPrice() throws Exception {
        long claim = claim(BODY);
        h = start(ProxyHarness.config(claim * 4, "", ""));
        long billed = 0;
        int ok = 0;
        HttpResponse<String> r;
        while ((r = h.chat(BODY)).statusCode() == 200) {
            billed += cost(ProxyHarness.json(r));
            ok++;
            assertThat(ok).isLessThan(100);
        }
        assertThat(r.statusCode()).isEqualTo(402);
        assertThat(h.budget("default").committedMicros()).isEqualTo(billed);
        assertThat(h.budget("default").remainingMicros()).isLessThan(claim).isEqualTo(claim * 4 - billed);
        assertThat(h.mock.served()).isEqualTo(ok);

        JsonObject error = ProxyHarness.json(r).getJsonObject("error");
        assertThat(error.getString("type")).isEqualTo("budget_exceeded");
        assertThat(error.getString("code")).isEqualTo("BUDGET_EXHAUSTED");
        assertThat(error.getString("message")).contains("Budget 'default'");
        JsonObject sg = error.getJsonObject("spendguard");
        assertThat(sg.getString("budget_id")).isEqualTo("default");
        assertThat(sg.getLong("claim_usd_micros")).isEqualTo(claim);
        assertThat(sg.getLong("remaining_usd_micros")).isEqualTo(claim * 4 - billed);
        assertThat(sg.getJsonArray("reason_codes").getList()).containsExactly("BUDGET_EXHAUSTED");
        assertThat(r.headers().firstValue("x-should-retry")).hasValue("false");
        assertThat(r.headers().firstValueAsLong("Retry-After").getAsLong()).isBetween(1L, 86_400L);
        assertThat(h.counter("spendguard.decisions", "decision", "STOP")).isEqualTo(1);
    }

    @Test
    void letsExactlyTheCallsThatFitThroughWhenOneHundredArriveAtOnce() throws Exception {
        long claim = claim(BODY);
        h = start(ProxyHarness.config(claim * 10 + claim / 2, "", ""));
        assertThat(h.concurrentChats(100, BODY)).isEqualTo(java.util.Map.of(200, 10L, 402, 90L));
        assertThat(h.mock.served()).isEqualTo(10);
        h.assertSettled(10, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(claim * 10);
    }

    @Test
    void holdsALargeCallForApprovalAndForwardsItOnceWhenApproved() throws Exception {
        String big = "{\"model\":\"gpt-test\",\"max_tokens\":900,\"messages\":[{\"role\":\"user\",\"content\":\"Write a report\"}]}";
        h = start(ProxyHarness.config(100_000, "approval_above_usd: 0.001", ""));
        HttpResponse<String> first = h.chat(big);
        assertThat(first.statusCode()).isEqualTo(409);
        JsonObject error = ProxyHarness.json(first).getJsonObject("error");
        assertThat(error.getString("type")).isEqualTo("approval_required");
        assertThat(error.getString("code")).isEqualTo("APPROVAL_REQUIRED");
        String id = error.getJsonObject("spendguard").getString("approval_id");
        assertThat(first.headers().firstValue("X-SpendGuard-Approval-Id")).hasValue(id);
        assertThat(first.headers().firstValue("x-should-retry")).hasValue("false");
        assertThat(h.mock.served()).isZero();

        HttpResponse<String> pending = h.chat(big, "X-SpendGuard-Approval-Id", id);
        assertThat(pending.statusCode()).isEqualTo(409);
        assertThat(pending.headers().firstValue("X-SpendGuard-Approval-Id")).hasValue(id);
        assertThat(ProxyHarness.json(h.adminGet("/v1/approvals?state=pending")).getJsonArray("data")).hasSize(1);

        HttpResponse<String> resolved = h.adminPost("/v1/approvals/" + id + "/resolve", "{\"decision\":\"approve\",\"reason\":\"ok\"}");
        assertThat(resolved.statusCode()).isEqualTo(200);
        assertThat(ProxyHarness.json(resolved).getString("state")).isEqualTo("approved");

        HttpResponse<String> mismatch = h.chat(big.replace("report", "novel"), "X-SpendGuard-Approval-Id", id);
        assertThat(mismatch.statusCode()).isEqualTo(409);
        assertThat(ProxyHarness.json(mismatch).getJsonObject("error").getString("code")).isEqualTo("approval_mismatch");

        HttpResponse<String> resumed = h.chat(big, "X-SpendGuard-Approval-Id", id);
        assertThat(resumed.statusCode()).isEqualTo(200);
        HttpResponse<String> again = h.chat(big, "X-SpendGuard-Approval-Id", id);
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(ProxyHarness.json(again).getJsonObject("error").getString("code")).isEqualTo("approval_consumed");
        assertThat(h.mock.served()).isEqualTo(1);
        h.assertSettled(1, "default");
    }

    @Test
    void answers403WhenTheApprovalWasDenied() throws Exception {
        String big = "{\"model\":\"gpt-test\",\"max_tokens\":900,\"messages\":[{\"role\":\"user\",\"content\":\"Write a report\"}]}";
        h = start(ProxyHarness.config(100_000, "approval_above_usd: 0.001", ""));
        String id = ProxyHarness.json(h.chat(big)).getJsonObject("error").getJsonObject("spendguard").getString("approval_id");
        assertThat(h.adminPost("/v1/approvals/" + id + "/resolve", "{\"decision\":\"deny\",\"reason\":\"too big\"}").statusCode()).isEqualTo(200);
        HttpResponse<String> denied = h.chat(big, "X-SpendGuard-Approval-Id", id);
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(ProxyHarness.json(denied).getJsonObject("error").getString("code")).isEqualTo("approval_denied");
        assertThat(h.mock.served()).isZero();
        assertThat(h.budget("default").reservedMicros()).isZero();
    }

    @Test
    void replaysAnIdempotentRetryWithoutChargingTwice() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> first = h.chat(BODY, "Idempotency-Key", "k-1");
        HttpResponse<String> retry = h.chat(BODY, "Idempotency-Key", "k-1");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.headers().firstValue("X-SpendGuard-Idempotent-Replay")).hasValue("true");
        assertThat(retry.headers().firstValue("X-SpendGuard-Decision-Id")).isEqualTo(first.headers().firstValue("X-SpendGuard-Decision-Id"));
        assertThat(h.mock.served()).isEqualTo(1);
        assertThat(h.budget("default").committedMicros()).isEqualTo(cost(ProxyHarness.json(first)));

        HttpResponse<String> conflict = h.chat(BODY.replace("hello", "bye"), "Idempotency-Key", "k-1");
        assertThat(conflict.statusCode()).isEqualTo(409);
        assertThat(ProxyHarness.json(conflict).getJsonObject("error").getString("code")).isEqualTo("idempotency_conflict");

        HttpResponse<String> other = h.chat(BODY);
        HttpResponse<String> another = h.chat(BODY);
        assertThat(other.statusCode()).isEqualTo(200);
        assertThat(another.statusCode()).isEqualTo(200);
        assertThat(h.mock.served()).as("requests without a key are never merged").isEqualTo(3);
        h.assertSettled(3, "default");
    }

    @Test
    void tellsAConcurrentDuplicateToRetryAndFreesTheKeyAfterARefusal() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        CompletableFuture<HttpResponse<String>> slow = h.http.sendAsync(
                h.chatRequest(BODY, "Idempotency-Key", "k-2", "x-mock-latency-ms", "1500"), HttpResponse.BodyHandlers.ofString());
        ProxyHarness.await("first call forwarded", () -> h.mock.served() == 1);
        HttpResponse<String> dup = h.chat(BODY, "Idempotency-Key", "k-2", "x-mock-latency-ms", "500");
        assertThat(dup.statusCode()).isEqualTo(409);
        assertThat(ProxyHarness.json(dup).getJsonObject("error").getString("code")).isEqualTo("idempotency_in_flight");
        assertThat(dup.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(slow.join().statusCode()).isEqualTo(200);

        HttpResponse<String> failed = h.chat(BODY, "Idempotency-Key", "k-3", "x-mock-status", "500");
        assertThat(failed.statusCode()).isEqualTo(500);
        HttpResponse<String> retried = h.chat(BODY, "Idempotency-Key", "k-3");
        assertThat(retried.statusCode()).as("a released first call frees its key").isEqualTo(200);
        assertThat(h.mock.served()).isEqualTo(3);
    }
}
