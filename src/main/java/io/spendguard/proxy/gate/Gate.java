package io.spendguard.proxy.gate;

import io.spendguard.proxy.config.GateMode;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.ledger.Ledger.Settled;
import io.vertx.core.Future;

/**
 * The seam between the pipeline and whoever owns budgets: the embedded engine ({@link LocalGate})
 * or the SpendGuard sidecar. The pipeline is the same for both.
 */
public interface Gate {

    /** Embedded or sidecar; its label is the {@code mode} metric label. */
    GateMode mode();

    /**
     * Decides one call; an admitting decision holds its claim until {@link #commit} or {@link #release},
     * and the hold counts as forwarded from its grant (the call is sent at once): if it is never settled,
     * it is committed at its TTL.
     */
    Future<Decision> decide(DecisionRequest request);

    /** Spends {@code actualMicros} of an admitted call's reservation (more than the hold is an overrun). */
    Future<Settled> commit(Decision admitted, long actualMicros);

    /** Frees an admitted call's reservation without spending. */
    Future<Settled> release(Decision admitted, String reason);

    /**
     * Succeeds when a virtual key bound to {@code keyBudgetId} may charge {@code budgetId}, named by
     * {@code X-SpendGuard-Budget-Id}: within a budget tree, its own budget or one below it (SPEC §11);
     * otherwise fails with a 403 {@code budget_forbidden}. A gate that cannot read the tree lets the
     * call through to its decision, where the tenant rule still applies.
     */
    default Future<Void> withinSubtree(String keyBudgetId, String budgetId) {
        return Future.succeededFuture();
    }

    /** True while the gate can take decisions (for {@code /readyz}). */
    boolean ready();

    /**
     * Whether a settlement's result tells the budgets' state after it ({@link Settled#path()}), which
     * the reply then shows: a reply waits for its call's settlement only at a gate that does.
     */
    default boolean reportsBudgets() {
        return true;
    }

    /**
     * Each data-plane listener calls this on its event loop before it serves, and {@link #detach}
     * there when it stops: a gate that asks another process keeps a connection per event loop this
     * way, so that a call is decided and settled without leaving its loop (the sidecar gate does;
     * the embedded gate has nothing to open). Fails when the gate cannot serve that loop.
     */
    default Future<Void> attach() {
        return Future.succeededFuture();
    }

    /** Closes what {@link #attach} opened for the caller's event loop. */
    default Future<Void> detach() {
        return Future.succeededFuture();
    }
}
