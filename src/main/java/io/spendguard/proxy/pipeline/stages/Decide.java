package io.spendguard.proxy.pipeline.stages;

import io.spendguard.proxy.config.ProxyConfig.GateConfig;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.DecisionIds;
import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.estimate.Estimator;
import io.spendguard.proxy.gate.Gate;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.pipeline.Exchange;
import io.spendguard.proxy.pipeline.Settlement;
import io.spendguard.proxy.pipeline.Stage;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * The gate: asks it for a decision within {@code gate.timeout_ms}, applies a DEGRADE ({@link Degrade}),
 * and admits the call (ADMITTED, its claim held) or refuses it — STOP → 402, REQUIRE_APPROVAL → 409
 * ({@link Refusals}). A gate that fails or is late follows {@code gate.fail_mode}: closed refuses with
 * 503, open admits without a reservation; both are counted, and a hold that lands after we gave up is
 * released. A virtual key naming a budget by header is first held to its budget tree
 * ({@link Gate#withinSubtree}).
 */
public final class Decide implements Stage {
    private static final Logger LOG = Logger.getLogger(Decide.class.getName());

    private final GateConfig config;
    private final Gate gate;
    private final Estimator estimator;
    private final ProxyMetrics metrics;
    private final Degrade degrade;

    public Decide(GateConfig config, Gate gate, Estimator estimator, ProxyMetrics metrics, Degrade degrade) {
        this.config = config;
        this.gate = gate;
        this.estimator = estimator;
        this.metrics = metrics;
        this.degrade = degrade;
    }

    @Override
    public Future<Void> apply(Exchange x) {
        return withinSubtree(x).compose(v -> ask(request(x, false)))
                .compose(d -> d != null && d.outcome() == Decision.Outcome.DEGRADE && d.mutation() != null
                        ? degrade.apply(x, d).compose(v -> d.isProposal()
                                ? ask(request(x, true)).map(again -> again != null && again.outcome().admits() ? again.degradedBy(d) : again)
                                : Future.succeededFuture(d))
                        : Future.succeededFuture(d))
                .compose(d -> admit(x, d));
    }

    /**
     * A virtual key that names another budget than its own by {@code X-SpendGuard-Budget-Id} charges
     * only within its budget tree, when its budget is in one ({@link Gate#withinSubtree}); checked
     * before anything is decided or held.
     */
    private Future<Void> withinSubtree(Exchange x) {
        if (x.key() == null || x.budgetId() == null || x.budgetId().equals(x.key().budgetId())) {
            return Future.succeededFuture();
        }
        return gate.withinSubtree(x.key().budgetId(), x.budgetId())
                .recover(e -> Future.failedFuture(e instanceof ProxyException ? e : unavailable()));
    }

    private Future<Decision> ask(DecisionRequest request) {
        long started = System.nanoTime();
        Future<Decision> pending = gate.decide(request);
        // The embedded gate answers at once: a timer that could never fire would be set and cancelled for nothing.
        Future<Decision> bounded = pending.isComplete() ? pending : pending.timeout(config.timeoutMs(), TimeUnit.MILLISECONDS);
        return bounded.andThen(ar -> metrics.gateDuration(gate.mode().label(), System.nanoTime() - started))
                .recover(e -> failed(pending, e));
    }

    private Future<Decision> failed(Future<Decision> pending, Throwable e) {
        if (e instanceof ProxyException) {
            return Future.failedFuture(e);
        }
        String reason = e instanceof TimeoutException ? "timeout" : "error";
        metrics.gateFailure(reason);
        // A decision that lands after we gave up must not keep its hold.
        pending.onSuccess(late -> {
            if (late.outcome().admits()) {
                gate.release(late, "gate_timeout");
            }
        });
        if (config.failOpen()) {
            metrics.failOpen();
            LOG.warning("gate " + reason + " (" + e.getMessage() + "): forwarding without a reservation (fail_mode: open)");
            return Future.succeededFuture(null);
        }
        LOG.warning("gate " + reason + " (" + e.getMessage() + "): refusing with 503 (fail_mode: closed)");
        return Future.failedFuture(unavailable());
    }

    /** The 503 a gate that cannot answer (or record a call) refuses with. */
    static ProxyException unavailable() {
        return ProxyError.GATE_UNAVAILABLE.exception("The budget gate is unavailable; the call was not sent.").header("Retry-After", "1");
    }

    /** Admits under {@code d} (null: the gate failed open), or refuses. The client may have gone meanwhile: then this fails, and the hold is released. */
    private Future<Void> admit(Exchange x, Decision d) {
        if (d == null) {
            x.outcome("fail_open");
        } else {
            metrics.decision(d.outcome().name());
            if (!d.outcome().admits()) {
                if (!d.reasonCodes().isEmpty()) {
                    metrics.runStop(d.reasonCodes().get(0));
                }
                return Future.failedFuture(Refusals.of(d));
            }
            metrics.reserved(d.reservedMicros());
        }
        x.admitted(d, new Settlement(x, gate, metrics, d, x.estimate(), x.shape().provider().label(),
                estimator.prices().metricLabel(x.spec().model())));
        return Future.succeededFuture();
    }

    private static DecisionRequest request(Exchange x, boolean mutated) {
        MultiMap h = x.headers();
        return new DecisionRequest(decisionId(x), x.budgetId(), x.estimate().claimMicros(), x.spec().model(),
                x.requestHash(), x.run(), h.get("X-SpendGuard-Approval-Id"),
                attemptKey(x), x.estimate().inputTokens(), x.estimate().outputCeiling(), x.estimate().pricingVersion(), mutated,
                x.spec().stream(), x.spec().maxOutputTokens(), x.key() == null ? null : x.key().tenant(),
                h.get("traceparent"), CallHeaders.tracestate(h), x.key() == null ? null : x.key().id(), x.caller(),
                x.spec().repeatedToolCalls());
    }

    /**
     * The key the gate deduplicates on: one per attempt, so a new attempt after a refused or
     * released one is a new decision, while a taken-over attempt repeats its own.
     */
    private static String attemptKey(Exchange x) {
        return x.idempotencyKey() == null ? null : x.idempotencyKey() + "#" + x.attempt();
    }

    /** New ({@link DecisionIds}), or derived from the idempotency key and attempt so that a taken-over attempt asks with the same ids. */
    private static String decisionId(Exchange x) {
        return x.idempotencyKey() == null
                ? DecisionIds.next()
                : UUID.nameUUIDFromBytes(("spendguard:decision:" + x.idempotencyKey() + ":" + x.attempt())
                        .getBytes(StandardCharsets.UTF_8)).toString();
    }
}
