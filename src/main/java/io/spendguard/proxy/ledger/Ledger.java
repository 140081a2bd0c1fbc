package io.spendguard.proxy.ledger;

import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.audit.AuditLog;
import io.spendguard.proxy.engine.AuditEvents;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.Money;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;

/**
 * Where holds and spend live ({@code ledger.kind}: memory, sqlite, postgres). Every mutation is
 * atomic in the backend itself: {@link #reserve} grants a hold only if
 * {@code committed + reserved + amount <= limit}, with no read-then-write race between callers, in
 * one process or many. A reservation is settled once: a second commit or release fails with
 * {@link LedgerException.Kind#RESERVATION_STATE_CONFLICT}. Durable backends acknowledge a change
 * only once it is on disk. Every change writes its audit record ({@link #audit}) in the same
 * transaction: a reservation the record its {@link Reservation#audit} makes of the outcome, a
 * settlement or expiry a {@code commit}, {@code release} or {@code expire} record, a budget change a
 * {@code budget.put} or {@code budget.delete} record. Totals never wrap: spend that would pass
 * {@link Long#MAX_VALUE} stays there ({@link Money}), and neither total is ever negative.
 */
public interface Ledger {

    /** Creates or replaces a budget definition, keeping its holds and spend. */
    Future<BudgetState> putBudget(BudgetSpec spec);

    /**
     * Creates a budget only if no budget has its id, atomically in the backend: of any number of
     * concurrent creations of one id (in one process or many) exactly one succeeds; the others fail
     * with {@link LedgerException.Kind#BUDGET_EXISTS} and write no audit record.
     */
    Future<BudgetState> createBudget(BudgetSpec spec);

    /** The budget's state, or a failed future with {@link LedgerException.Kind#UNKNOWN_BUDGET}. */
    Future<BudgetState> budget(String id);

    Future<List<BudgetState>> budgets();

    /**
     * Removes a budget that holds nothing, returning its last state. Fails with
     * {@link LedgerException.Kind#UNKNOWN_BUDGET}, or {@link IllegalStateException} while reservations
     * are held against it (they must settle first).
     */
    Future<BudgetState> deleteBudget(String id);

    /** The refusal to create a budget whose id is taken. */
    static LedgerException exists(String id) {
        return new LedgerException(LedgerException.Kind.BUDGET_EXISTS, "budget " + id + " already exists (use PATCH)");
    }

    /** The refusal to delete a budget that still holds {@code reservedMicros}. */
    static IllegalStateException stillHeld(String id, long reservedMicros) {
        return new IllegalStateException("budget " + id + " holds " + reservedMicros
                + " usd_micros in open reservations (expected: none; retry once they settle)");
    }

    /**
     * Holds the reservation's amount against its budget if it fits; the result says whether it was
     * granted. Asking again for a reservation id that is still held with the same budget and amount
     * (a retried decision) returns that hold instead of taking a second one; any other reuse of an
     * id fails with {@link LedgerException.Kind#DUPLICATE_RESERVATION}.
     */
    Future<Hold> reserve(Reservation reservation);

    /**
     * Records that the held call is about to be sent to the provider, so that if it is never
     * settled the sweeper commits it (the provider may bill it) rather than releasing it.
     */
    Future<Void> forwarded(String reservationId);

    /** Commits {@code amount} (which may exceed the hold: the excess is an overrun) and frees the hold. */
    Future<Settled> commit(String reservationId, long amount);

    /** Frees the hold without spending. */
    Future<Settled> release(String reservationId);

    /**
     * Settles every hold whose TTL has passed by {@code now}: committed at the held amount when the
     * call was forwarded (it may have reached the provider), released when it never was. Also drops
     * expired idempotency records. Safe to run from several processes at once.
     */
    Future<List<Expired>> sweep(Instant now);

    /** The run's state; fails with {@link LedgerException.Kind#UNKNOWN_RUN} when the ledger does not know it. */
    Future<RunState> run(String id);

    /**
     * Runs, most recently seen first: of one budget ({@code budgetId} null: every budget), stopped or
     * active ({@code stopped} null: both), at most {@code limit}.
     */
    Future<List<RunState>> runs(String budgetId, Boolean stopped, int limit);

    /**
     * Stops a run — the kill switch: every later reservation under it is refused with
     * {@link RunLimit#RUN_STOPPED}; its holds settle as usual. A run not seen yet is created stopped
     * (for {@code budgetId}, which may be null). Stopping a stopped run keeps its first reason. Writes a
     * {@code run.stop} audit record ({@link AuditEvents#runStop}) in the same transaction; stopped runs
     * are durable where the ledger is.
     */
    Future<RunState> stopRun(String id, String budgetId, String reason);

    /**
     * Forgets the runs last seen before {@code idleBefore} that hold nothing and were not stopped (a
     * stopped run stays stopped); returns how many. Safe to run from several processes at once.
     */
    Future<Integer> forgetRuns(Instant idleBefore);

    /** The idempotency records kept beside the ledger (durable where the ledger is). */
    IdempotencyStore idempotency();

    /** The audit chain kept beside the ledger, written in the ledger's transactions. */
    AuditLog audit();

    /** Closes connections; pending operations finish first. */
    Future<Void> close();

    /**
     * One hold to take: its id, budget, amount in µUSD, when it expires if never settled, and whether
     * the call counts as forwarded from the start (a caller that cannot see forwarding, such as the
     * sidecar protocol, says true), the audit record to write of the outcome (for the engine, its
     * decision; a retried reservation that finds its hold writes none), and the run it is taken under
     * (null: none). With a run, the reservation is refused — nothing held, no step counted — when
     * {@link RunLimit#refusal} says so; when granted the run counts one step and holds the amount too,
     * and a later commit, release or expiry moves the run's totals as it moves the budget's (a released
     * call keeps its step). A retried reservation that finds its hold counts no second step.
     */
    record Reservation(String id, String budgetId, long amountMicros, Instant expiresAt, boolean forwarded,
                       Function<Hold, AuditEvent> audit, RunLimit run) {
        public Reservation {
            if (amountMicros < 0) {
                throw new IllegalArgumentException("amount: " + amountMicros + " (expected: >= 0)");
            }
        }

        /** A reservation under no run. */
        public Reservation(String id, String budgetId, long amountMicros, Instant expiresAt, boolean forwarded,
                           Function<Hold, AuditEvent> audit) {
            this(id, budgetId, amountMicros, expiresAt, forwarded, audit, null);
        }

        /** A reservation recorded as a bare CONTINUE or STOP decision, under no run. */
        public Reservation(String id, String budgetId, long amountMicros, Instant expiresAt, boolean forwarded) {
            this(id, budgetId, amountMicros, expiresAt, forwarded, null, null);
        }

        /** The record of this reservation's outcome. */
        public AuditEvent auditOf(Hold hold) {
            return audit != null ? audit.apply(hold) : AuditEvents.reservation(this, hold);
        }
    }

    /**
     * The outcome of a reservation attempt, the budget after it, and for a reservation under a run the
     * run after it and the run's refusal ({@link RunLimit#RUN_STOPPED}, {@link RunLimit#RUN_STEP_LIMIT},
     * {@link RunLimit#RUN_BUDGET_EXCEEDED}; null when the run let it through).
     */
    record Hold(boolean granted, BudgetState budget, RunState run, String runRefusal) {
        /** The outcome of a reservation under no run. */
        public Hold(boolean granted, BudgetState budget) {
            this(granted, budget, null, null);
        }
    }

    /**
     * What one settlement did: the hold, what was spent of it, the overrun above it, and the budget
     * after (null when the gate cannot see the budget, e.g. through the sidecar protocol).
     */
    record Settled(String reservationId, long heldMicros, long committedMicros, long overrunMicros, BudgetState budget) {
        public long releasedMicros() {
            return Math.max(0, heldMicros - committedMicros);
        }
    }

    /** A hold the sweeper settled after its TTL: committed at the held amount if it was forwarded, else released. */
    record Expired(String reservationId, String budgetId, long heldMicros, boolean committed) { }
}
