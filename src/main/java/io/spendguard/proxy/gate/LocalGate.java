package io.spendguard.proxy.gate;

import io.spendguard.proxy.config.GateMode;
import io.spendguard.proxy.engine.BudgetTrees;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.ledger.Ledger.Settled;
import io.vertx.core.Future;

/** The embedded engine behind the {@link Gate} seam: decisions in-process, no network hop. */
public final class LocalGate implements Gate {
    private final Engine engine;

    public LocalGate(Engine engine) {
        this.engine = engine;
    }

    @Override
    public GateMode mode() {
        return GateMode.EMBEDDED;
    }

    @Override
    public Future<Decision> decide(DecisionRequest request) {
        return engine.decide(request);
    }

    @Override
    public Future<Settled> commit(Decision admitted, long actualMicros) {
        return engine.commit(admitted.reservationId(), actualMicros);
    }

    @Override
    public Future<Settled> release(Decision admitted, String reason) {
        return engine.release(admitted.reservationId());
    }

    @Override
    public Future<Void> withinSubtree(String keyBudgetId, String budgetId) {
        return BudgetTrees.withinSubtree(engine.ledger(), keyBudgetId, budgetId);
    }

    @Override
    public boolean ready() {
        return true;
    }
}
