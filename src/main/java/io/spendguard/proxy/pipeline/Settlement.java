package io.spendguard.proxy.pipeline;

import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.estimate.UsageBounds;
import io.spendguard.proxy.forward.Settler;
import io.spendguard.proxy.gate.Gate;
import io.spendguard.proxy.ledger.Ledger.Settled;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.engine.BudgetState;
import io.vertx.core.Future;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one settlement of one admitted call: a commit or a release at the gate, with its metrics.
 * Whichever path ends the call first — reply complete, provider error, timeout, client gone, stream
 * cut, an error in a stage — settles it; the {@link Exchange}'s move to SETTLED lets only the first
 * through, and every later attempt is a no-op. A call forwarded without a reservation (fail-open)
 * settles only in metrics.
 */
public final class Settlement implements Settler {
    private static final Logger LOG = Logger.getLogger(Settlement.class.getName());

    private final Exchange exchange;
    private final Gate gate;
    private final ProxyMetrics metrics;
    private final Decision decision;
    private final Estimate estimate;
    private final String provider;
    private final String modelLabel;
    private volatile String how;
    private volatile long costMicros;

    public Settlement(Exchange exchange, Gate gate, ProxyMetrics metrics, Decision decision, Estimate estimate, String provider,
                      String modelLabel) {
        this.exchange = exchange;
        this.gate = gate;
        this.metrics = metrics;
        this.decision = decision;
        this.estimate = estimate;
        this.provider = provider;
        this.modelLabel = modelLabel;
    }

    /**
     * Commits the cost of the provider's reported usage; a usage outside what the call can bill
     * ({@link UsageBounds}) is not believed: the reservation is committed instead, and counted.
     */
    @Override
    public Future<Settled> usage(Usage usage) {
        if (!exchange.holds()) {
            return Future.succeededFuture();
        }
        String problem = UsageBounds.problem(usage, estimate);
        if (problem != null) {
            return usageRejected(problem);
        }
        return commit(estimate.price().costMicros(usage), "usage");
    }

    /**
     * Commits the whole reservation because the provider's usage cannot be used ({@code invalid},
     * {@code out_of_range}, {@code scan_limit}); counted by reason.
     */
    @Override
    public Future<Settled> usageRejected(String reason) {
        if (!exchange.holds()) {
            return Future.succeededFuture();
        }
        metrics.usageRejected(reason);
        LOG.warning("provider usage not billed (" + reason + ") for a " + provider + " call: committing its reservation");
        return reservation("usage_" + reason);
    }

    /** Commits the whole reservation: a 2xx reply without usage, or a reply that never came back. */
    @Override
    public Future<Settled> reservation(String why) {
        return commit(estimate.claimMicros(), why);
    }

    /** Commits the input estimate plus the output seen so far: a call cut short. */
    @Override
    public Future<Settled> partial(long outputTokensSeen, String why) {
        return commit(estimate.partialCostMicros(outputTokensSeen), why);
    }

    private Future<Settled> commit(long micros, String why) {
        if (!exchange.settling()) {
            return Future.succeededFuture();
        }
        how = why;
        costMicros = micros;
        metrics.committed(provider, modelLabel, micros);
        if (estimate.claimMicros() > 0) {
            metrics.estimateRatio((double) micros / estimate.claimMicros());
        }
        if (decision == null) {
            exchange.landed();
            return Future.succeededFuture();
        }
        metrics.budgetCommitted(decision.budgetId(), micros);
        return record(gate.commit(decision, micros), "commit");
    }

    /** Gives the reservation back: the provider refused the call or was never reached. */
    @Override
    public Future<Settled> release(String why) {
        if (!exchange.settling()) {
            return Future.succeededFuture();
        }
        how = why;
        if (decision == null) {
            exchange.landed();
            return Future.succeededFuture();
        }
        return record(gate.release(decision, why), "release");
    }

    /**
     * Meters the settlement and marks the call landed when it is done. What the reply waits for: the
     * settlement, or nothing when the gate reports no budget state (the call still ends only once it
     * has landed: {@link Exchange#settled()}).
     */
    private Future<Settled> record(Future<Settled> settled, String kind) {
        Future<Settled> recorded = settled.onSuccess(s -> {
            metrics.settled(kind);
            metrics.released(s.releasedMicros());
            metrics.overrun(s.overrunMicros());
            for (BudgetState level : s.path()) {
                metrics.budget(level.spec().id(), level.spec().limitMicros(), level.remainingMicros());
            }
        }).onFailure(e -> {
            metrics.settlementFailure(kind);
            LOG.log(Level.WARNING, "settlement " + kind + " failed for decision " + decision.decisionId() + ": " + e.getMessage());
        }).onComplete(ar -> exchange.landed());
        return gate.reportsBudgets() ? recorded : Future.succeededFuture();
    }

    @Override
    public long costMicros() {
        return costMicros;
    }

    /** How the call was settled ({@code usage}, {@code no_usage}, {@code client_disconnect}, …), or null. */
    public String how() {
        return how;
    }
}
