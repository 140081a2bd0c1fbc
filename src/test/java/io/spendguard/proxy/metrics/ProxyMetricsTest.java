package io.spendguard.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

class ProxyMetricsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ProxyMetrics metrics = new ProxyMetrics(registry);

    @Test
    void repeatedLabelSetsAddUpInOneSeriesAndNewLabelSetsGetTheirOwn() {
        metrics.request("chat", "openai", "ok", 1_000_000);
        metrics.request("chat", "openai", "ok", 3_000_000);
        metrics.request("chat", "openai", "budget_exceeded", 2_000_000);

        assertThat(registry.get("spendguard.requests").tags("route", "chat", "provider", "openai", "outcome", "ok").counter().count())
                .isEqualTo(2.0);
        assertThat(registry.get("spendguard.requests").tags("outcome", "budget_exceeded").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("spendguard.request.duration").tags("route", "chat", "outcome", "ok").timer().count()).isEqualTo(2);
        assertThat(registry.get("spendguard.request.duration").tags("route", "chat", "outcome", "ok").timer()
                .totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(4.0);
        assertThat(registry.find("spendguard.requests").counters()).hasSize(2);
    }

    @Test
    void singleLabelCountersKeepTheirLabelKeyAndValueApart() {
        metrics.settled("commit");
        metrics.settled("commit");
        metrics.settled("release");
        metrics.settlementFailure("commit");
        metrics.interrupted("client_disconnect");
        metrics.decision("CONTINUE");
        metrics.gateFailure("timeout");

        assertThat(registry.get("spendguard.settlements").tag("kind", "commit").counter().count()).isEqualTo(2.0);
        assertThat(registry.get("spendguard.settlements").tag("kind", "release").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("spendguard.settlement.failures").tag("kind", "commit").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("spendguard.interrupted").tag("cause", "client_disconnect").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("spendguard.decisions").tag("decision", "CONTINUE").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("spendguard.gate.failures").tag("reason", "timeout").counter().count()).isEqualTo(1.0);
    }

    @Test
    void latencyTimersAndCommittedCostReachThePrometheusScrape() {
        metrics.gateDuration("embedded", 50_000);
        metrics.upstreamDuration("openai", 2_000_000);
        metrics.committed("openai", "gpt-4o-mini", 120);
        metrics.committed("openai", "gpt-4o-mini", 30);

        String scrape = registry.scrape();
        assertThat(scrape).contains("spendguard_gate_duration_seconds_count{mode=\"embedded\"} 1")
                .contains("spendguard_upstream_duration_seconds_count{provider=\"openai\"} 1")
                .contains("spendguard_committed_usd_micros_total{model=\"gpt-4o-mini\",provider=\"openai\"} 150");
    }

    @Test
    void theBudgetInfoGaugeIsOneSeriesPerBudgetThatFollowsItsParent() {
        metrics.budgetInfo("org", null);
        metrics.budgetInfo("team", "org");
        assertThat(registry.scrape()).contains("spendguard_budget_info{budget_id=\"org\",parent=\"\"} 1")
                .contains("spendguard_budget_info{budget_id=\"team\",parent=\"org\"} 1");

        metrics.budgetInfo("team", "other");
        metrics.budgetInfo("team", "other");
        metrics.budgetRemoved("org");
        assertThat(registry.find("spendguard.budget.info").gauges()).hasSize(1);
        assertThat(registry.scrape()).contains("spendguard_budget_info{budget_id=\"team\",parent=\"other\"} 1")
                .doesNotContain("parent=\"org\"").doesNotContain("budget_id=\"org\"");
    }

    @Test
    void everyMeterItCanRegisterHasHelpText() {
        // every public recording method once, so each name ProxyMetrics owns is in the registry
        metrics.connectionsOpen("data", new java.util.concurrent.atomic.AtomicInteger());
        metrics.connectionRefused("data");
        metrics.connectionTimeout("data", "idle");
        metrics.request("chat_completions", "openai", "ok", 1_000);
        metrics.contractReload("ok");
        metrics.decision("CONTINUE");
        metrics.gateDuration("embedded", 1_000);
        metrics.upstreamDuration("openai", 1_000);
        metrics.reserved(1);
        metrics.committed("openai", "gpt-test", 1);
        metrics.budgetCommitted("default", 1);
        metrics.released(1);
        metrics.overrun(1);
        metrics.estimateRatio(0.5);
        metrics.budget("default", 10, 5);
        metrics.budgetInfo("default", null);
        metrics.streamOpened();
        metrics.gateFailure("timeout");
        metrics.failOpen();
        metrics.usageInjected();
        metrics.settled("commit");
        metrics.settlementFailure("commit");
        metrics.interrupted("upstream_break");
        metrics.usageRejected("invalid");
        metrics.streamCut("event_too_large");
        metrics.replayNotKept("too_large");
        metrics.settlementRetry("commit");
        metrics.sidecarFailure("unavailable");
        metrics.sidecarReconnect();
        metrics.runStop("RUN_STEP_LIMIT");
        metrics.runsActive(2);
        ProxyMetrics.accessLogDropped(registry, new java.util.concurrent.atomic.AtomicLong(), java.util.concurrent.atomic.AtomicLong::get);

        java.util.List<io.micrometer.core.instrument.Meter> ours = registry.getMeters().stream()
                .filter(m -> m.getId().getName().startsWith("spendguard.")).toList();
        // a new name in ProxyMetrics gets its call above, or this count fails
        assertThat(ours.stream().map(m -> m.getId().getName()).distinct()).hasSize(34);
        assertThat(ours).allSatisfy(m -> assertThat(m.getId().getDescription()).as(m.getId().getName() + " HELP").isNotBlank());
        // what Prometheus reads: one HELP line per family, histograms' _max gauges included
        String scrape = registry.scrape();
        assertThat(scrape.lines().filter(l -> l.startsWith("# TYPE spendguard_"))).allSatisfy(type -> {
            String family = type.split(" ")[2];
            assertThat(scrape).as(family).containsPattern("(?m)^# HELP " + family + " \\S");
        });
    }
}
