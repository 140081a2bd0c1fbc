package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.mock.MockProvider;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The gated Anthropic Messages route end to end: forwarded byte for byte with the client's key,
 * settled from usage with cache reads and writes at their own prices, refusals and errors in
 * Anthropic's error shape, and the provider's own errors passed through.
 */
class AnthropicMessagesRouteTest extends HarnessTest {

    @Test
    void forwardsTheOriginalBytesAndSettlesCacheReadsAndWritesAtTheirOwnPrices() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        String body = AnthropicCalls.body(false, 200).replace("{", "{ ");
        HttpResponse<String> r = AnthropicCalls.send(h, body, "x-mock-cached-tokens", "4", "x-mock-cache-write-tokens", "3",
                "anthropic-beta", "pdfs-2024-09-25");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject usage = ProxyHarness.json(r).getJsonObject("usage");
        assertThat(usage.getLong("cache_read_input_tokens")).isEqualTo(4);
        assertThat(usage.getLong("cache_creation_input_tokens")).isEqualTo(3);
        assertThat(usage.getLong("input_tokens")).isPositive();
        long cost = AnthropicCalls.cost(usage);
        assertThat(r.headers().firstValueAsLong("X-SpendGuard-Cost-Usd-Micros").getAsLong()).isEqualTo(cost);
        assertThat(r.headers().firstValueAsLong("X-SpendGuard-Reserved-Usd-Micros").getAsLong())
                .isEqualTo(AnthropicCalls.estimate(body).claimMicros());
        assertThat(r.headers().firstValue("request-id")).hasValueSatisfying(v -> assertThat(v).startsWith("req_msg_mock"));
        assertThat(r.headers().firstValue("anthropic-ratelimit-requests-remaining")).hasValue("3999");

        MockProvider.Received sent = h.mock.received().get(0);
        assertThat(sent.path()).isEqualTo("/v1/messages");
        assertThat(sent.body().toString(StandardCharsets.UTF_8)).isEqualTo(body);
        assertThat(sent.headers().get("x-api-key")).isEqualTo(AnthropicCalls.KEY);
        assertThat(sent.headers().get("anthropic-version")).isEqualTo(AnthropicCalls.VERSION);
        assertThat(sent.headers().get("anthropic-beta")).isEqualTo("pdfs-2024-09-25");
        assertThat(sent.headers().get("authorization")).as("no OpenAI key is made up for Anthropic").isNull();

        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(cost);
        ProxyHarness.await("request counted", () -> h.counter("spendguard.requests", "route", "messages", "provider", "anthropic",
                "outcome", "ok") == 1);
    }

    @Test
    void relaysTheStreamByteForByteAndSettlesFromMessageDelta() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        String body = AnthropicCalls.body(true, 200);
        HttpResponse<String> r = AnthropicCalls.send(h, body, "x-mock-cached-tokens", "2", "x-mock-cache-write-tokens", "5");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        assertThat(r.headers().firstValue("X-SpendGuard-Decision-Id")).isPresent();
        // The same call straight to the mock: only the message id (a per-call sequence number) differs.
        HttpResponse<String> direct = h.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.mock.port() + "/v1/messages"))
                .header("x-mock-cached-tokens", "2").header("x-mock-cache-write-tokens", "5")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.body()).isEqualTo(direct.body().replace("msg_mock2", "msg_mock1"));
        assertThat(r.body()).startsWith("event: message_start\n").endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        assertThat(h.mock.received().get(0).body().toString(StandardCharsets.UTF_8)).as("nothing injected").isEqualTo(body);

        h.assertSettled(1, "default");
        JsonObject usage = AnthropicCalls.streamUsage(r.body());
        assertThat(usage.getLong("output_tokens")).isEqualTo(12);
        assertThat(h.budget("default").committedMicros()).isEqualTo(AnthropicCalls.cost(usage));
        assertThat(h.counter("spendguard.usage.injected")).isZero();
    }

    @Test
    void refusesWith402InAnthropicsErrorShape() throws Exception {
        String body = AnthropicCalls.body(false, 4000);
        long claim = AnthropicCalls.estimate(body).claimMicros();
        h = start(ProxyHarness.config(claim - 1, "", ""));
        HttpResponse<String> r = AnthropicCalls.send(h, body);

        assertThat(r.statusCode()).isEqualTo(402);
        JsonObject reply = ProxyHarness.json(r);
        assertThat(reply.getString("type")).isEqualTo("error");
        JsonObject error = reply.getJsonObject("error");
        assertThat(error.getString("type")).isEqualTo("budget_exceeded");
        assertThat(error.getString("message")).startsWith("Budget 'default' cannot cover this call");
        JsonObject sg = error.getJsonObject("spendguard");
        assertThat(sg.getString("budget_id")).isEqualTo("default");
        assertThat(sg.getLong("claim_usd_micros")).isEqualTo(claim);
        assertThat(sg.getLong("remaining_usd_micros")).isEqualTo(claim - 1);
        assertThat(sg.getJsonArray("reason_codes").getList()).containsExactly("BUDGET_EXHAUSTED");
        assertThat(r.headers().firstValue("x-should-retry")).hasValue("false");
        assertThat(h.mock.served()).isZero();
        assertThat(h.budget("default").reservedMicros()).isZero();
    }

    @Test
    void holdsALargeCallForApprovalInAnthropicsErrorShapeAndForwardsItOnceApproved() throws Exception {
        String body = AnthropicCalls.body(false, 4000);
        h = start(ProxyHarness.config(1_000_000, "approval_above_usd: 0.001", ""));
        HttpResponse<String> first = AnthropicCalls.send(h, body);

        assertThat(first.statusCode()).isEqualTo(409);
        JsonObject error = ProxyHarness.json(first).getJsonObject("error");
        assertThat(ProxyHarness.json(first).getString("type")).isEqualTo("error");
        assertThat(error.getString("type")).isEqualTo("approval_required");
        assertThat(error.getString("message")).contains("needs approval on budget 'default'");
        String id = error.getJsonObject("spendguard").getString("approval_id");
        assertThat(first.headers().firstValue("X-SpendGuard-Approval-Id")).hasValue(id);
        assertThat(h.mock.served()).isZero();

        assertThat(h.adminPost("/v1/approvals/" + id + "/resolve", "{\"decision\":\"approve\",\"reason\":\"ok\"}").statusCode()).isEqualTo(200);
        HttpResponse<String> resumed = AnthropicCalls.send(h, body, "X-SpendGuard-Approval-Id", id);
        assertThat(resumed.statusCode()).isEqualTo(200);
        assertThat(h.mock.served()).isEqualTo(1);
        h.assertSettled(1, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(AnthropicCalls.cost(ProxyHarness.json(resumed).getJsonObject("usage")));
    }

    @Test
    void answers401InAnthropicsShapeWhenThereIsNoKeyAnywhere() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = h.http.send(HttpRequest.newBuilder(h.uri("/v1/messages")).timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json").header("anthropic-version", AnthropicCalls.VERSION)
                .header("authorization", "Bearer sk-openai-key-is-not-an-anthropic-key")
                .POST(HttpRequest.BodyPublishers.ofString(AnthropicCalls.body(false, 100))).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(401);
        JsonObject reply = ProxyHarness.json(r);
        assertThat(reply.getString("type")).isEqualTo("error");
        assertThat(reply.getJsonObject("error").getString("type")).isEqualTo("authentication_error");
        assertThat(reply.getJsonObject("error").getString("message")).contains("x-api-key");
        assertThat(r.body()).doesNotContain("sk-openai-key");
        assertThat(h.mock.served()).isZero();
    }

    @Test
    void injectsTheConfiguredKeyWhenTheClientSendsNone() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", "").replace("anthropic: { base_url: \"MOCK_URL\", api_key: \"\"",
                "anthropic: { base_url: \"MOCK_URL\", api_key: \"sk-ant-configured-5678\""));
        HttpResponse<String> r = h.http.send(HttpRequest.newBuilder(h.uri("/v1/messages")).timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json").header("anthropic-version", AnthropicCalls.VERSION)
                .POST(HttpRequest.BodyPublishers.ofString(AnthropicCalls.body(false, 100))).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(h.mock.received().get(0).headers().get("x-api-key")).isEqualTo("sk-ant-configured-5678");
        assertThat(r.body()).doesNotContain("sk-ant-configured");
        h.assertSettled(1, "default");
    }

    @Test
    void rejectsAMissingMaxTokensWith400NamingItAndReservesNothing() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = AnthropicCalls.send(h, AnthropicCalls.body(false, 100).replace("\"max_tokens\":100,", ""));

        assertThat(r.statusCode()).isEqualTo(400);
        JsonObject error = ProxyHarness.json(r).getJsonObject("error");
        assertThat(error.getString("type")).isEqualTo("invalid_request_error");
        assertThat(error.getString("message")).contains("'max_tokens' is required");
        assertThat(h.mock.served()).isZero();
        assertThat(h.settlements()).isZero();
    }

    @Test
    void passesAnOverloaded529ThroughUntouchedAndReleasesTheReservation() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> r = AnthropicCalls.send(h, AnthropicCalls.body(true, 100), "x-mock-status", "529");

        assertThat(r.statusCode()).isEqualTo(529);
        assertThat(ProxyHarness.json(r)).isEqualTo(new JsonObject("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                + "\"message\":\"mock provider error 529\"},\"request_id\":\"req_mock_error\"}"));
        h.assertSettled(1, "default");
        assertThat(h.counter("spendguard.settlements", "kind", "release")).isEqualTo(1);
        assertThat(h.budget("default").committedMicros()).isZero();
    }
}
