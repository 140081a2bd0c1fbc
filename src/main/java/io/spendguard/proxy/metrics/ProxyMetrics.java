package io.spendguard.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Every meter the proxy exports, by name, in one place (the JVM and pool meters are Vert.x's own).
 * Labels come from bounded sets only: routes are the API shapes', providers and gate modes the config
 * enums' labels, outcomes the proxy errors' labels and the relay's few endings, decisions the
 * decision outcomes; models are folded to the price table's list, budgets are the operator's own ids. Meters with labels are built once per label set and
 * cached: a Micrometer builder allocates and searches the registry on every call, which showed up on
 * the per-request path.
 */
public final class ProxyMetrics {
    private static final Duration MIN_LATENCY = Duration.ofNanos(20_000);
    private static final Duration MAX_LATENCY = Duration.ofSeconds(120);
    /** The {@code reason} values of {@link #gateFailure}. */
    public static final List<String> GATE_FAILURE_REASONS = List.of("timeout", "error");
    /** The {@code kind} values of {@link #settled} and {@link #settlementFailure}. */
    public static final List<String> SETTLEMENT_KINDS = List.of("commit", "release");
    /** The {@code reason} values of {@link #usageRejected}. */
    public static final List<String> USAGE_REJECTED_REASONS = List.of("invalid", "out_of_range", "scan_limit");
    /** The {@code reason} values of {@link #streamCut}. */
    public static final List<String> STREAM_CUT_REASONS = List.of("event_too_large");
    /** The {@code reason} values of {@link #replayNotKept}. */
    public static final List<String> REPLAY_NOT_KEPT_REASONS = List.of("too_large");
    private static final String GATE_FAILURES = "spendguard.gate.failures";
    private static final String GATE_FAILURES_HELP = "gate decisions that did not arrive in time (timeout) or failed (error), "
            + "answered by gate.fail_mode, by reason";
    private static final String SETTLEMENT_FAILURES = "spendguard.settlement.failures";
    private static final String SETTLEMENT_FAILURES_HELP = "settlements (commit or release of a reservation) the gate did not accept, "
            + "logged and retried where the gate supports it, by kind";
    private static final String USAGE_REJECTED = "spendguard.usage.rejected";
    private static final String STREAM_CUTS = "spendguard.stream.cuts";
    private static final String REPLAY_NOT_KEPT = "spendguard.replay.not.kept";
    /** The {@code reason} values of {@link #runStop}: the reason codes an agent run refuses a call with. */
    public static final List<String> RUN_STOP_REASONS = List.of("RUN_STEP_LIMIT", "RUN_BUDGET_EXCEEDED", "RUN_LOOP_DETECTED", "RUN_STOPPED");
    private static final String RUN_STOPS = "spendguard.run.stops";
    private static final String RUN_STOPS_HELP = "calls refused (402) by an agent run's limits, by reason (RUN_STEP_LIMIT, "
            + "RUN_BUDGET_EXCEEDED, RUN_LOOP_DETECTED, RUN_STOPPED)";
    /** The {@code listener} values of the connection meters. */
    public static final List<String> LISTENERS = List.of("data", "admin");
    /** The {@code phase} values of {@link #connectionTimeout}. */
    public static final List<String> TIMEOUT_PHASES = List.of("header", "body", "idle");

    private final MeterRegistry registry;
    private final AtomicInteger streamsActive = new AtomicInteger();
    private final AtomicInteger runsActive = new AtomicInteger();
    private final Map<String, AtomicLong> budgetRemaining = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> budgetLimit = new ConcurrentHashMap<>();
    private final Map<String, Gauge> budgetInfo = new ConcurrentHashMap<>();
    private final Counter reserved;
    private final Counter released;
    private final Counter overrun;
    private final Counter failOpen;
    private final Counter usageInjected;
    private final DistributionSummary estimateRatio;
    private final Map<Key, Counter> counters = new ConcurrentHashMap<>();
    private final Map<Key, Timer> timers = new ConcurrentHashMap<>();

    /** A meter name and up to three label values (each name has fixed label keys). */
    private record Key(String name, String a, String b, String c) { }

    public ProxyMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.reserved = Counter.builder("spendguard.reserved.usd.micros").description("µUSD reserved before forwarding").register(registry);
        this.released = Counter.builder("spendguard.released.usd.micros").description("µUSD of reservations given back").register(registry);
        this.overrun = Counter.builder("spendguard.overrun.usd.micros").description("µUSD spent above the reservation").register(registry);
        this.failOpen = Counter.builder("spendguard.fail.open").description("calls forwarded without a reservation because the gate failed open").register(registry);
        this.usageInjected = Counter.builder("spendguard.usage.injected").description("streams where the proxy asked the provider to report usage").register(registry);
        this.estimateRatio = DistributionSummary.builder("spendguard.estimate.ratio")
                .description("actual cost / reserved claim of each settled call (a ratio, 1 = the claim was spent in full)")
                .serviceLevelObjectives(0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.5, 2.0).register(registry);
        Gauge.builder("spendguard.streams.active", streamsActive, AtomicInteger::get).description("SSE streams being relayed").register(registry);
        Gauge.builder("spendguard.runs.active", runsActive, AtomicInteger::get)
                .description("agent runs the ledger keeps that are not stopped (idle ones are forgotten after runs.idle_ttl), "
                        + "as of the last sweep").register(registry);
        // Failure series exist from start-up at zero, so an alert on increase() sees the very first failure.
        for (String reason : GATE_FAILURE_REASONS) {
            counter1(GATE_FAILURES, GATE_FAILURES_HELP, "reason", reason);
        }
        for (String kind : SETTLEMENT_KINDS) {
            counter1(SETTLEMENT_FAILURES, SETTLEMENT_FAILURES_HELP, "kind", kind);
        }
        for (String reason : USAGE_REJECTED_REASONS) {
            usageRejectedCounter(reason);
        }
        for (String reason : STREAM_CUT_REASONS) {
            streamCutCounter(reason);
        }
        for (String reason : REPLAY_NOT_KEPT_REASONS) {
            replayNotKeptCounter(reason);
        }
        for (String reason : RUN_STOP_REASONS) {
            counter1(RUN_STOPS, RUN_STOPS_HELP, "reason", reason);
        }
        for (String listener : LISTENERS) {
            connectionsRefused(listener);
            for (String phase : TIMEOUT_PHASES) {
                connectionTimeouts(listener, phase);
            }
        }
    }

    /**
     * Open connections on a listener ({@code data} or {@code admin}), read from {@code open}; registered
     * once per listener.
     */
    public void connectionsOpen(String listener, AtomicInteger open) {
        Gauge.builder("spendguard.connections.open", open, AtomicInteger::get).description("open client connections, by listener")
                .tag("listener", listener).register(registry);
    }

    /** Bytes of request bodies the data plane holds now, read from {@code bytes}; registered once. */
    public void bodyBytesBuffered(AtomicLong bytes) {
        Gauge.builder("spendguard.request.body.buffered.bytes", bytes, AtomicLong::get)
                .description("bytes of request bodies held in memory now, across all calls (limits.max_buffered_body_bytes caps it)")
                .baseUnit("bytes").register(registry);
    }

    /** A connection closed as soon as it was accepted because its listener was at its connection cap. */
    public void connectionRefused(String listener) {
        connectionsRefused(listener).increment();
    }

    private Counter connectionsRefused(String listener) {
        return counter(new Key("spendguard.connections.refused", listener, null, null), k -> Counter.builder(k.name())
                .description("connections closed at once because the listener was at its limit (limits.max_connections)")
                .tag("listener", k.a()).register(registry));
    }

    /** A connection closed for taking too long: {@code header}, {@code body} or {@code idle} (see {@link #TIMEOUT_PHASES}). */
    public void connectionTimeout(String listener, String phase) {
        connectionTimeouts(listener, phase).increment();
    }

    private Counter connectionTimeouts(String listener, String phase) {
        return counter(new Key("spendguard.connections.timeouts", listener, phase, null), k -> Counter.builder(k.name())
                .description("connections closed (HTTP/2: streams reset) by limits.header_timeout_ms, body_timeout_ms or idle_timeout_ms")
                .tag("listener", k.a()).tag("phase", k.b()).register(registry));
    }

    /**
     * Access-log lines dropped because standard output was read too slowly, read from {@code dropped};
     * registered by {@code serve}, which owns the access-log writer, before the proxy starts.
     */
    public static <T> void accessLogDropped(MeterRegistry registry, T source, ToDoubleFunction<T> dropped) {
        FunctionCounter.builder("spendguard.access.log.dropped", source, dropped)
                .description("access-log lines dropped because standard output was read too slowly").register(registry);
    }

    /** Characters of request and stream texts run through BPE, read from {@code chars}: what the token-count caches did not answer. */
    public <T> void tokenisedChars(T source, ToDoubleFunction<T> chars) {
        FunctionCounter.builder("spendguard.tokenised.chars", source, chars)
                .description("characters of request and stream texts run through BPE (not answered by the token-count caches)")
                .register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void request(String route, String provider, String outcome, long nanos) {
        counter(new Key("spendguard.requests", route, provider, outcome), k -> Counter.builder(k.name())
                .description("calls answered on the data port (proxied or refused), by route, provider and outcome")
                .tag("route", k.a()).tag("provider", k.b()).tag("outcome", k.c()).register(registry)).increment();
        timer(new Key("spendguard.request.duration", route, outcome, null), k -> latency(k.name(),
                        "seconds from a call's arrival to the end of its reply (streams: the last event), by route and outcome",
                        "route", k.a())
                .tag("outcome", k.b()).register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A contracts file reload: {@code ok} (new rules in force) or {@code error} (old rules kept). */
    public void contractReload(String result) {
        Counter.builder("spendguard.contract.reloads").description("contracts file reloads by result")
                .tag("result", result).register(registry).increment();
    }

    public void decision(String decision) {
        counter1("spendguard.decisions", "budget decisions made for calls (CONTINUE, STOP, REQUIRE_APPROVAL, DEGRADE, SKIP), by decision",
                "decision", decision).increment();
    }

    public void gateDuration(String mode, long nanos) {
        timer(new Key("spendguard.gate.duration", mode, null, null), k -> latency(k.name(),
                "seconds the gate took to decide and reserve for a call, by gate mode (embedded or sidecar)", "mode", k.a())
                .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public void upstreamDuration(String provider, long nanos) {
        timer(new Key("spendguard.upstream.duration", provider, null, null), k -> latency(k.name(),
                "seconds from forwarding a call to the provider until its response headers arrived (time to first byte), by provider",
                "provider", k.a()).register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    private static Timer.Builder latency(String name, String help, String tag, String value) {
        return Timer.builder(name).description(help).tag(tag, value).publishPercentileHistogram()
                .minimumExpectedValue(MIN_LATENCY).maximumExpectedValue(MAX_LATENCY);
    }

    private Counter counter(Key key, Function<Key, Counter> create) {
        Counter c = counters.get(key);
        return c != null ? c : counters.computeIfAbsent(key, create);
    }

    /** A counter with one label, {@code tag=value}, and its HELP text {@code help}. */
    private Counter counter1(String name, String help, String tag, String value) {
        Key key = new Key(name, value, null, null);
        Counter c = counters.get(key);
        return c != null ? c : counters.computeIfAbsent(key, k -> Counter.builder(name).description(help).tag(tag, value).register(registry));
    }

    private Timer timer(Key key, Function<Key, Timer> create) {
        Timer t = timers.get(key);
        return t != null ? t : timers.computeIfAbsent(key, create);
    }

    public void reserved(long micros) {
        reserved.increment(micros);
    }

    public void committed(String provider, String model, long micros) {
        counter(new Key("spendguard.committed.usd.micros", provider, model, null), k -> Counter.builder(k.name())
                .description("µUSD spent, from provider usage, by provider and model").tag("provider", k.a()).tag("model", k.b()).register(registry))
                .increment(micros);
    }

    /** µUSD committed against one budget (the operator's ids: a bounded set), for spend by budget. */
    public void budgetCommitted(String budget, long micros) {
        counter(new Key("spendguard.budget.committed.usd.micros", budget, null, null), k -> Counter.builder(k.name())
                .description("µUSD spent, by budget").tag("budget", k.a()).register(registry)).increment(micros);
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
        budgetGauge("spendguard.budget.limit.usd.micros", "the budget's limit per window, in µUSD, by budget",
                budgetLimit, id).set(limitMicros);
        budgetGauge("spendguard.budget.remaining.usd.micros",
                "µUSD left in the budget's current window (limit minus reserved and committed), by budget", budgetRemaining, id)
                .set(remainingMicros);
    }

    /**
     * {@code spendguard_budget_info{budget_id, parent} 1} for budget {@code id} under {@code parent}
     * (null: a root, shown as ""), replacing what was exported for it before: the budget tree, for
     * PromQL to join the per-budget series to (SPEC §11).
     */
    public void budgetInfo(String id, String parent) {
        String shown = parent == null ? "" : parent;
        budgetInfo.compute(id, (k, old) -> {
            if (old != null) {
                if (shown.equals(old.getId().getTag("parent"))) {
                    return old;
                }
                registry.remove(old);
            }
            return Gauge.builder("spendguard.budget.info", () -> 1)
                    .description("the budget tree: 1 for each budget, labelled with its parent (\"\" for a root)")
                    .tag("budget_id", k).tag("parent", shown).register(registry);
        });
    }

    /** Stops exporting budget {@code id}'s {@link #budgetInfo} (it was deleted). */
    public void budgetRemoved(String id) {
        Gauge old = budgetInfo.remove(id);
        if (old != null) {
            registry.remove(old);
        }
    }

    private AtomicLong budgetGauge(String name, String help, Map<String, AtomicLong> gauges, String id) {
        return gauges.computeIfAbsent(id, k -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder(name, value, AtomicLong::get).description(help).tag("budget", k).register(registry);
            return value;
        });
    }

    /** A call an agent run refused, by its reason code (one of {@link #RUN_STOP_REASONS}; any other is not counted). */
    public void runStop(String reason) {
        if (RUN_STOP_REASONS.contains(reason)) {
            counter1(RUN_STOPS, RUN_STOPS_HELP, "reason", reason).increment();
        }
    }

    /** The agent runs active now (not stopped, not forgotten), as the sweeper counted them. */
    public void runsActive(int runs) {
        runsActive.set(runs);
    }

    public void streamOpened() {
        streamsActive.incrementAndGet();
    }

    public void streamClosed() {
        streamsActive.decrementAndGet();
    }

    public void gateFailure(String reason) {
        counter1(GATE_FAILURES, GATE_FAILURES_HELP, "reason", reason).increment();
    }

    public void failOpen() {
        failOpen.increment();
    }

    public void usageInjected() {
        usageInjected.increment();
    }

    /** A settlement the gate accepted, by kind ({@code commit}, {@code release}). */
    public void settled(String kind) {
        counter1("spendguard.settlements", "settlements the gate accepted, by kind (commit, release; expired_commit, "
                + "expired_release for reservations settled by the sweeper after their TTL)", "kind", kind).increment();
    }

    /** A settlement the gate did not accept (it is logged and retried where the gate supports it). */
    public void settlementFailure(String kind) {
        counter1(SETTLEMENT_FAILURES, SETTLEMENT_FAILURES_HELP, "kind", kind).increment();
    }

    /** A relayed reply cut short, by cause ({@code client_disconnect}, {@code upstream_break}). */
    public void interrupted(String cause) {
        counter1("spendguard.interrupted", "relayed replies cut short (client disconnect or upstream break mid-reply), by cause",
                "cause", cause).increment();
    }

    /**
     * A provider's usage the proxy would not bill from, so the call's reservation was committed
     * instead, by reason: {@code invalid} (a count that is negative, fractional or not a number),
     * {@code out_of_range} (past what the model can produce), {@code scan_limit} (the reply's usage
     * scan went past its bounds).
     */
    public void usageRejected(String reason) {
        usageRejectedCounter(reason).increment();
    }

    private Counter usageRejectedCounter(String reason) {
        return counter(new Key(USAGE_REJECTED, reason, null, null), k -> Counter.builder(k.name())
                .description("provider usage not billed from (the reservation was committed instead), by reason")
                .tag("reason", k.a()).register(registry));
    }

    /** An SSE reply the proxy cut (the client's connection closed after what was relayed), by reason ({@code event_too_large}). */
    public void streamCut(String reason) {
        streamCutCounter(reason).increment();
    }

    private Counter streamCutCounter(String reason) {
        return counter(new Key(STREAM_CUTS, reason, null, null), k -> Counter.builder(k.name())
                .description("SSE replies cut by the proxy (settled at the reservation), by reason")
                .tag("reason", k.a()).register(registry));
    }

    /** An idempotent call's reply that was relayed but not kept for replay, by reason ({@code too_large}). */
    public void replayNotKept(String reason) {
        replayNotKeptCounter(reason).increment();
    }

    private Counter replayNotKeptCounter(String reason) {
        return counter(new Key(REPLAY_NOT_KEPT, reason, null, null), k -> Counter.builder(k.name())
                .description("idempotent replies relayed but not kept for replay, by reason")
                .tag("reason", k.a()).register(registry));
    }

    /** A settlement the gate sent again after a rejected ack or a broken stream, by kind ({@code commit}, {@code release}). */
    public void settlementRetry(String kind) {
        counter1("spendguard.settlement.retries", "settlements sent to the sidecar again after a rejected ack or a broken stream, "
                + "by kind", "kind", kind).increment();
    }

    /**
     * A sidecar call that failed, by reason ({@code unavailable}, {@code deadline_exceeded}, {@code not_connected},
     * {@code draining}, {@code decision_unspecified}, {@code resume_error}, {@code protocol} or
     * {@code status_<grpc status>}).
     */
    public void sidecarFailure(String reason) {
        counter1("spendguard.sidecar.failures", "calls to the sidecar that failed, by reason", "reason", reason).increment();
    }

    /** The connection to the sidecar was lost and a new handshake started. */
    public void sidecarReconnect() {
        Counter.builder("spendguard.sidecar.reconnects").description("times the connection to the sidecar was lost and a new "
                + "handshake started").register(registry).increment();
    }
}
