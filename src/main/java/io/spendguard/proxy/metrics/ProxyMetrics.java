package io.spendguard.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every meter the proxy exports, by name, in one place. Labels come from bounded sets only: routes,
 * providers, outcomes and decisions are enums of the code, models are folded to the price table's
 * list, budgets are the operator's own ids.
 */
public final class ProxyMetrics {
    private static final Duration MIN_LATENCY = Duration.ofNanos(20_000);
    private static final Duration MAX_LATENCY = Duration.ofSeconds(120);
    /** The {@code reason} values of {@link #gateFailure}. */
    public static final List<String> GATE_FAILURE_REASONS = List.of("timeout", "error");
    /** The {@code kind} values of {@link #settled} and {@link #settlementFailure}. */
    public static final List<String> SETTLEMENT_KINDS = List.of("commit", "release");

    private final MeterRegistry registry;
    private final AtomicInteger streamsActive = new AtomicInteger();
    private final Map<String, AtomicLong> budgetRemaining = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> budgetLimit = new ConcurrentHashMap<>();
    private final Counter reserved;
    private final Counter released;
    private final Counter overrun;
    private final Counter failOpen;
    private final Counter usageInjected;
    private final DistributionSummary estimateRatio;

    public ProxyMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.reserved = Counter.builder("spendguard.reserved.usd.micros").description("µUSD reserved before forwarding").register(registry);
        this.released = Counter.builder("spendguard.released.usd.micros").description("µUSD of reservations given back").register(registry);
        this.overrun = Counter.builder("spendguard.overrun.usd.micros").description("µUSD spent above the reservation").register(registry);
        this.failOpen = Counter.builder("spendguard.fail.open").description("calls forwarded without a reservation because the gate failed open").register(registry);
        this.usageInjected = Counter.builder("spendguard.usage.injected").description("streams where the proxy asked the provider to report usage").register(registry);
        this.estimateRatio = DistributionSummary.builder("spendguard.estimate.ratio").description("actual cost / reserved claim")
                .serviceLevelObjectives(0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.5, 2.0).register(registry);
        Gauge.builder("spendguard.streams.active", streamsActive, AtomicInteger::get).description("SSE streams being relayed").register(registry);
        // Failure series exist from start-up at zero, so an alert on increase() sees the very first failure.
        for (String reason : GATE_FAILURE_REASONS) {
            Counter.builder("spendguard.gate.failures").tag("reason", reason).register(registry);
        }
        for (String kind : SETTLEMENT_KINDS) {
            Counter.builder("spendguard.settlement.failures").tag("kind", kind).register(registry);
        }
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void request(String route, String provider, String outcome, long nanos) {
        Counter.builder("spendguard.requests").tag("route", route).tag("provider", provider).tag("outcome", outcome)
                .register(registry).increment();
        latency("spendguard.request.duration", "route", route).tag("outcome", outcome).register(registry)
                .record(Duration.ofNanos(nanos));
    }

    public void decision(String decision) {
        Counter.builder("spendguard.decisions").tag("decision", decision).register(registry).increment();
    }

    public void gateDuration(String mode, long nanos) {
        latency("spendguard.gate.duration", "mode", mode).register(registry).record(Duration.ofNanos(nanos));
    }

    public void upstreamDuration(String provider, long nanos) {
        latency("spendguard.upstream.duration", "provider", provider).register(registry).record(Duration.ofNanos(nanos));
    }

    private static Timer.Builder latency(String name, String tag, String value) {
        return Timer.builder(name).tag(tag, value).publishPercentileHistogram()
                .minimumExpectedValue(MIN_LATENCY).maximumExpectedValue(MAX_LATENCY);
    }

    public void reserved(long micros) {
        reserved.increment(micros);
    }

    public void committed(String provider, String model, long micros) {
        Counter.builder("spendguard.committed.usd.micros").description("µUSD spent, from provider usage")
                .tag("provider", provider).tag("model", model).register(registry).increment(micros);
    }

    /** µUSD committed against one budget (the operator's ids: a bounded set), for spend by budget. */
    public void budgetCommitted(String budget, long micros) {
        Counter.builder("spendguard.budget.committed.usd.micros").description("µUSD spent, by budget")
                .tag("budget", budget).register(registry).increment(micros);
    }

    public void released(long micros) {
        released.increment(micros);
    }

    public void overrun(long micros) {
        overrun.increment(micros);
    }

    public void estimateRatio(double ratio) {
        estimateRatio.record(ratio);
    }

    public void budget(String id, long limitMicros, long remainingMicros) {
        budgetGauge("spendguard.budget.limit.usd.micros", budgetLimit, id).set(limitMicros);
        budgetGauge("spendguard.budget.remaining.usd.micros", budgetRemaining, id).set(remainingMicros);
    }

    private AtomicLong budgetGauge(String name, Map<String, AtomicLong> gauges, String id) {
        return gauges.computeIfAbsent(id, k -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder(name, value, AtomicLong::get).tag("budget", k).register(registry);
            return value;
        });
    }

    public void streamOpened() {
        streamsActive.incrementAndGet();
    }

    public void streamClosed() {
        streamsActive.decrementAndGet();
    }

    public void gateFailure(String reason) {
        Counter.builder("spendguard.gate.failures").tag("reason", reason).register(registry).increment();
    }

    public void failOpen() {
        failOpen.increment();
    }

    public void usageInjected() {
        usageInjected.increment();
    }

    /** A settlement the gate accepted, by kind ({@code commit}, {@code release}). */
    public void settled(String kind) {
        Counter.builder("spendguard.settlements").tag("kind", kind).register(registry).increment();
    }

    /** A settlement the gate did not accept (it is logged and retried where the gate supports it). */
    public void settlementFailure(String kind) {
        Counter.builder("spendguard.settlement.failures").tag("kind", kind).register(registry).increment();
    }

    /** A relayed reply cut short, by cause ({@code client_disconnect}, {@code upstream_break}). */
    public void interrupted(String cause) {
        Counter.builder("spendguard.interrupted").tag("cause", cause).register(registry).increment();
    }

    /** A settlement the gate sent again after a rejected ack or a broken stream, by kind ({@code commit}, {@code release}). */
    public void settlementRetry(String kind) {
        Counter.builder("spendguard.settlement.retries").tag("kind", kind).register(registry).increment();
    }

    /**
     * A sidecar call that failed, by reason ({@code unavailable}, {@code deadline_exceeded}, {@code not_connected},
     * {@code draining}, {@code decision_unspecified}, {@code resume_error}, {@code protocol} or
     * {@code status_<grpc status>}).
     */
    public void sidecarFailure(String reason) {
        Counter.builder("spendguard.sidecar.failures").tag("reason", reason).register(registry).increment();
    }

    /** The connection to the sidecar was lost and a new handshake started. */
    public void sidecarReconnect() {
        Counter.builder("spendguard.sidecar.reconnects").register(registry).increment();
    }
}
