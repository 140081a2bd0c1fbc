package io.spendguard.proxy.engine;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;

/**
 * Where holds and spend live. Every mutation is atomic in the backend itself: {@link #reserve}
 * grants a hold only if {@code committed + reserved + amount <= limit}, with no read-then-write race
 * between callers. A reservation is settled once: a second commit or release fails with
 * {@link LedgerException.Kind#RESERVATION_STATE_CONFLICT}.
 */
public interface Ledger {

    /** Creates or replaces a budget definition, keeping its holds and spend. */
    Future<BudgetState> putBudget(BudgetSpec spec);

    /** The budget's state, or a failed future with {@link LedgerException.Kind#UNKNOWN_BUDGET}. */
    Future<BudgetState> budget(String id);

    Future<List<BudgetState>> budgets();

    /**
     * Removes a budget that holds nothing, returning its last state. Fails with
     * {@link LedgerException.Kind#UNKNOWN_BUDGET}, or {@link IllegalStateException} while reservations
     * are held against it (they must settle first); a backend that cannot remove budgets fails with
     * {@link UnsupportedOperationException}.
     */
    default Future<BudgetState> deleteBudget(String id) {
        return Future.failedFuture(new UnsupportedOperationException("this ledger cannot delete budgets"));
    }

    /** Holds {@code amount} against the budget if it fits; the result says whether it was granted. */
    Future<Hold> reserve(String budgetId, String reservationId, long amount, Instant expiresAt);

    /** Commits {@code amount} (which may exceed the hold: the excess is an overrun) and frees the hold. */
    Future<Settled> commit(String reservationId, long amount);

    /** Frees the hold without spending. */
    Future<Settled> release(String reservationId);

    /** The outcome of a reservation attempt and the budget after it. */
    record Hold(boolean granted, BudgetState budget) { }

    /**
     * What one settlement did: the hold, what was spent of it, the overrun above it, and the budget
     * after (null when the gate cannot see the budget, e.g. through the sidecar protocol).
     */
    record Settled(String reservationId, long heldMicros, long committedMicros, long overrunMicros, BudgetState budget) {
        public long releasedMicros() {
            return Math.max(0, heldMicros - committedMicros);
        }
    }
}
