package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The control plane: budgets changed at run time take effect at once; metrics and health are served. */
class AdminApiTest extends HarnessTest {

    @Test
    void createsReadsAndPatchesBudgetsThatApplyWithoutARestart() throws Exception {
        h = ProxyHarness.start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> created = h.adminPost("/v1/budgets",
                "{\"id\":\"team-a\",\"limit_usd_micros\":5000000,\"window\":\"monthly\",\"approval_above_usd_micros\":100000}");
        assertThat(created.statusCode()).isEqualTo(201);
        JsonObject b = ProxyHarness.json(created);
        assertThat(b.getLong("limit_usd_micros")).isEqualTo(5_000_000);
        assertThat(b.getLong("remaining_usd_micros")).isEqualTo(5_000_000);
        assertThat(b.getString("window_start")).endsWith("T00:00:00Z");
        assertThat(h.adminPost("/v1/budgets", "{\"id\":\"team-a\",\"limit_usd_micros\":1}").statusCode()).isEqualTo(409);
        assertThat(h.adminPost("/v1/budgets", "{\"id\":\"bad\",\"limit_usd_micros\":-5}").statusCode()).isEqualTo(400);
        assertThat(h.adminPost("/v1/budgets", "{\"id\":\"bad\",\"limit_usd_micros\":5,\"window\":\"hourly\"}").statusCode()).isEqualTo(400);
        assertThat(ProxyHarness.json(h.adminGet("/v1/budgets")).getJsonArray("data")).hasSize(2);
        assertThat(h.adminGet("/v1/budgets/nope").statusCode()).isEqualTo(404);

        assertThat(h.chat(ChatCompletionsTest.BODY).statusCode()).isEqualTo(200);
        HttpResponse<String> patched = h.http.send(HttpRequest.newBuilder(h.admin("/v1/budgets/default"))
                .header("content-type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"limit_usd_micros\":10}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(patched.statusCode()).isEqualTo(200);
        assertThat(ProxyHarness.json(patched).getLong("remaining_usd_micros")).isZero();
        assertThat(h.chat(ChatCompletionsTest.BODY).statusCode()).as("the lowered limit applies at once").isEqualTo(402);
    }

    @Test
    void servesPrometheusMetricsAndHealth() throws Exception {
        h = ProxyHarness.start(ProxyHarness.config(1_000_000, "", ""));
        assertThat(h.chat(ChatCompletionsTest.BODY).statusCode()).isEqualTo(200);
        h.assertSettled(1, "default");
        ProxyHarness.await("request counted", () -> h.counter("spendguard.requests") == 1);
        HttpResponse<String> m = h.adminGet("/metrics");
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(m.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        assertThat(m.body())
                .contains("spendguard_requests_total{outcome=\"ok\",provider=\"openai\",route=\"chat_completions\"} 1.0")
                .contains("spendguard_decisions_total{decision=\"CONTINUE\"} 1.0")
                .contains("spendguard_reserved_usd_micros_total")
                .contains("spendguard_committed_usd_micros_total{model=\"gpt-test\",provider=\"openai\"}")
                .contains("spendguard_released_usd_micros_total")
                .contains("spendguard_request_duration_seconds_bucket")
                .contains("spendguard_gate_duration_seconds_bucket{mode=\"embedded\"")
                .contains("spendguard_upstream_duration_seconds_bucket{provider=\"openai\"")
                .contains("spendguard_budget_remaining_usd_micros{budget=\"default\"}")
                .contains("spendguard_budget_limit_usd_micros{budget=\"default\"} 1000000.0")
                .contains("jvm_memory_used_bytes")
                .doesNotContain("sk-client-secret-1234");
        assertThat(h.adminGet("/healthz").statusCode()).isEqualTo(200);
        assertThat(ProxyHarness.json(h.adminGet("/readyz")).getString("status")).isEqualTo("ready");
    }

    @Test
    void requiresTheAdminTokenWhenOneIsConfigured() throws Exception {
        h = ProxyHarness.start(ProxyHarness.config(1_000_000, "", "").replace("admin: { host: 127.0.0.1, port: 0 }",
                "admin: { host: 127.0.0.1, port: 0, token: s3cret }"));
        assertThat(h.adminGet("/v1/budgets").statusCode()).isEqualTo(401);
        HttpResponse<String> ok = h.http.send(HttpRequest.newBuilder(h.admin("/v1/budgets")).header("authorization", "Bearer s3cret")
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(h.adminGet("/healthz").statusCode()).isEqualTo(200);
    }
}
