package io.spendguard.proxy.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.engine.BudgetState;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every SPEC §7 family is on {@code /metrics} after a scripted run, with the values that run must produce. */
class MetricsScrapeTest {
    private static ScriptedRun run;
    private static PromText m;

    @BeforeAll
    static void scriptedRun() throws Exception {
        run = ScriptedRun.start();
        m = run.scrape();
    }

    @AfterAll
    static void stop() throws Exception {
        run.close();
    }

    private static long header(String name) {
        return Long.parseLong(run.ok.headers().firstValue(name).orElseThrow());
    }

    @Test
    void countsRequestsByRouteProviderAndOutcome() {
        assertThat(m.value("spendguard_requests_total", "route", "chat_completions", "provider", "openai", "outcome", "ok")).isEqualTo(2);
        assertThat(m.value("spendguard_requests_total", "outcome", "provider_error")).isEqualTo(1);
        assertThat(m.value("spendguard_requests_total", "outcome", "stopped")).isEqualTo(1);
        assertThat(m.value("spendguard_requests_total", "outcome", "approval_required")).isEqualTo(1);
        assertThat(m.value("spendguard_request_duration_seconds_count")).isEqualTo(5);
    }

    @Test
    void countsDecisionsByOutcome() {
        assertThat(m.value("spendguard_decisions_total", "decision", "CONTINUE")).isEqualTo(3);
        assertThat(m.value("spendguard_decisions_total", "decision", "STOP")).isEqualTo(1);
        assertThat(m.value("spendguard_decisions_total", "decision", "REQUIRE_APPROVAL")).isEqualTo(1);
    }

    @Test
    void accountsForEveryMicroDollar() throws Exception {
        long reserved = header("X-SpendGuard-Reserved-Usd-Micros");
        long cost = header("X-SpendGuard-Cost-Usd-Micros");
        BudgetState budget = run.h.budget("default");
        // three calls of the same claim were reserved; two were committed, the 500 released
        assertThat(m.value("spendguard_reserved_usd_micros_total")).isEqualTo(3.0 * reserved);
        assertThat(m.value("spendguard_committed_usd_micros_total", "provider", "openai", "model", "gpt-test"))
                .isEqualTo(budget.committedMicros()).isGreaterThanOrEqualTo(cost);
        assertThat(m.value("spendguard_budget_committed_usd_micros_total", "budget", "default")).isEqualTo(budget.committedMicros());
        assertThat(m.value("spendguard_released_usd_micros_total") + m.value("spendguard_committed_usd_micros_total"))
                .isEqualTo(m.value("spendguard_reserved_usd_micros_total"));
        assertThat(m.value("spendguard_overrun_usd_micros_total")).isZero();
        assertThat(m.value("spendguard_budget_limit_usd_micros", "budget", "default")).isEqualTo(1_000_000);
        assertThat(m.value("spendguard_budget_remaining_usd_micros", "budget", "default")).isEqualTo(budget.remainingMicros());
        assertThat(m.value("spendguard_budget_limit_usd_micros", "budget", "tiny")).isEqualTo(10);
    }

    @Test
    void recordsSettlementsAndEstimateAccuracy() {
        assertThat(m.value("spendguard_settlements_total", "kind", "commit")).isEqualTo(2);
        assertThat(m.value("spendguard_settlements_total", "kind", "release")).isEqualTo(1);
        assertThat(m.value("spendguard_settlement_failures_total", "kind", "commit")).isZero();
        assertThat(m.value("spendguard_settlement_failures_total", "kind", "release")).isZero();
        assertThat(m.value("spendguard_estimate_ratio_count")).isEqualTo(2);
        double ratio = m.value("spendguard_estimate_ratio_sum") / 2;
        assertThat(ratio).isGreaterThan(0).isLessThanOrEqualTo(1);
        assertThat(m.value("spendguard_estimate_ratio_bucket", "le", "1.0")).isEqualTo(2);
    }

    @Test
    void exportsGateAndStreamStateFromStartUp() {
        assertThat(m.value("spendguard_gate_failures_total", "reason", "timeout")).isZero();
        assertThat(m.value("spendguard_gate_failures_total", "reason", "error")).isZero();
        assertThat(m.value("spendguard_fail_open_total")).isZero();
        assertThat(m.value("spendguard_usage_injected_total")).isEqualTo(1);
        assertThat(m.value("spendguard_streams_active")).isZero();
    }

    @Test
    void countsTheCharactersRunThroughBpe() {
        assertThat(m.value("spendguard_tokenised_chars_total")).isPositive();
    }

    @Test
    void latencyHistogramsResolveSubMillisecondDecisions() {
        assertThat(m.value("spendguard_gate_duration_seconds_count", "mode", "embedded")).isEqualTo(5);
        assertThat(m.value("spendguard_upstream_duration_seconds_count", "provider", "openai")).isEqualTo(3);
        List<Double> subMs = m.series("spendguard_gate_duration_seconds_bucket", "mode", "embedded").stream()
                .map(s -> Double.parseDouble(s.labels().get("le").replace("+Inf", "Infinity")))
                .filter(le -> le < 0.001).toList();
        assertThat(subMs).as("gate latency buckets below 1 ms").hasSizeGreaterThanOrEqualTo(8);
        assertThat(subMs.stream().mapToDouble(Double::doubleValue).min().orElseThrow()).isLessThanOrEqualTo(0.00005);
    }

    @Test
    void labelsAreBoundedAndCarryNoSecret() {
        for (PromText.Sample s : m.samples()) {
            assertThat(s.labels().keySet()).as(s.name()).doesNotContain("key", "run", "run_id", "user", "api_key");
            assertThat(s.labels().values()).as(s.name()).noneMatch(v -> v.contains("sk-client-secret"));
        }
        assertThat(m.series("spendguard_committed_usd_micros_total")).allSatisfy(s ->
                assertThat(s.labels().get("model")).isIn("gpt-test", "other"));
    }

    @Test
    void exportsJvmAndVertxPoolMetersButNoPerRequestVertxHttpMeters() {
        assertThat(m.names()).contains("jvm_memory_used_bytes", "jvm_threads_live_threads", "process_cpu_usage");
        assertThat(m.names()).anyMatch(n -> n.startsWith("vertx_pool_"));
        // the proxy's own request and upstream meters cover the data plane; Vert.x's cost a tenth of the event loop
        assertThat(m.names()).noneMatch(n -> n.startsWith("vertx_http_server_") || n.startsWith("vertx_http_client_"));
    }
}
