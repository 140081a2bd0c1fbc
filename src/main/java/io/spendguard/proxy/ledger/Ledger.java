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

    /**
     * Creates or replaces a budget definition, keeping its holds and spend. A {@link BudgetSpec#parent}
     * must exist ({@link LedgerException.Kind#UNKNOWN_PARENT}), must not be the budget or one of its
     * descendants ({@link LedgerException.Kind#BUDGET_CYCLE}), and the tree must stay within
     * {@link BudgetSpec#MAX_DEPTH} levels ({@link LedgerException.Kind#TREE_TOO_DEEP}) — checked
     * atomically with the write. A changed parent applies to reservations taken from then on; holds
     * already taken settle on the levels they were taken on.
     */
    Future<BudgetState> putBudget(BudgetSpec spec);

    /**
     * Creates a budget only if no budget has its id, atomically in the backend: of any number of
     * concurrent creations of one id (in one process or many) exactly one succeeds; the others fail
     * with {@link LedgerException.Kind#BUDGET_EXISTS} and write no audit record.
     */
    Future<BudgetState> createBudget(BudgetSpec spec);

    /** The budget's state, or a failed future with {@link LedgerException.Kind#UNKNOWN_BUDGET}. */
    Future<BudgetState> budget(String id);

    /**
     * The budget and its ancestors, leaf first, root last (one element for a budget of no parent), each
     * in its current window; fails with {@link LedgerException.Kind#UNKNOWN_BUDGET} when {@code id} is unknown.
     */
    default Future<List<BudgetState>> path(String id) {
        return budget(id).compose(leaf -> withAncestors(new java.util.ArrayList<>(List.of(leaf))));
    }

    /** {@code path} followed up its parents (a read: each level as it is now), bounded by the tree's depth. */
    private Future<List<BudgetState>> withAncestors(List<BudgetState> path) {
        String parent = path.get(path.size() - 1).spec().parent();
        if (parent == null || path.size() >= BudgetSpec.MAX_DEPTH) {
            return Future.succeededFuture(List.copyOf(path));
        }
        return budget(parent).compose(up -> {
            path.add(up);
            return withAncestors(path);
        });
    }

    Future<List<BudgetState>> budgets();

    /**
     * Removes a budget that holds nothing, returning its last state. Fails with
     * {@link LedgerException.Kind#UNKNOWN_BUDGET}, {@link LedgerException.Kind#HAS_CHILDREN} while other
     * budgets name it as their parent, or {@link IllegalStateException} while reservations are held
     * against it (they must settle first).
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
     * Holds the reservation's amount against its budget and every ancestor of it, in one atomic step:
     * granted only if it fits every level ({@code committed + reserved + amount <= limit} on each, each in
     * its own window), otherwise nothing is held anywhere and {@link Hold#refusedBy} names the first
     * level, from the leaf up, that could not cover it. The levels a hold was taken on are kept with it:
     * its commit, release or expiry settles every one of them. Concurrent reservations lock the levels
     * in one fixed order (no deadlock). Asking again for a reservation id that is still held with the same budget and amount
     * (a retried decision) returns that hold instead of taking a second one; any other reuse of an
     * id fails with {@link LedgerException.Kind#DUPLICATE_RESERVATION}.
     */
    Future<Hold> reserve(Reservation reservation);

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
     * One hold to take: its id, budget, amount in µUSD, when it expires if never settled, whether the
     * call counts as forwarded (an expired hold is committed if so, else released: the engine's holds are
     * forwarded, as it sends a call at once after the grant; a durable ledger may still keep unforwarded
     * ones from earlier versions, taken before their call left), the audit record to write of the outcome
     * (for the engine, its decision; a retried reservation that finds its hold writes none), and the run it is taken under
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
     * {@link RunLimit#RUN_BUDGET_EXCEEDED}; null when the run let it through). {@code path} is the budget
     * and its ancestors after it, leaf first (just the budget when it has no parent); {@code refusedBy}
     * is the first level that could not cover the amount (null: granted, or refused by the run).
     */
    record Hold(boolean granted, BudgetState budget, RunState run, String runRefusal, List<BudgetState> path, String refusedBy) {
        public Hold {
            path = path == null ? (budget == null ? List.of() : List.of(budget)) : List.copyOf(path);
            if (refusedBy == null && !granted && runRefusal == null && budget != null) {
                refusedBy = budget.spec().id();
            }
        }

        /** The outcome of a reservation on a budget of no parent, under a run. */
        public Hold(boolean granted, BudgetState budget, RunState run, String runRefusal) {
            this(granted, budget, run, runRefusal, null, null);
        }

        /** The outcome of a reservation on a budget of no parent, under no run. */
        public Hold(boolean granted, BudgetState budget) {
            this(granted, budget, null, null, null, null);
        }

        /** The smallest remaining on the path (what the call can still count on). */
        public long remainingOnPath() {
            return Ledger.remainingOnPath(path);
        }
    }

    /** The smallest remaining µUSD among {@code path}'s budgets ({@link Long#MAX_VALUE} for none). */
    static long remainingOnPath(List<BudgetState> path) {
        long min = Long.MAX_VALUE;
        for (BudgetState b : path) {
            min = Math.min(min, b.remainingMicros());
        }
        return min;
    }

    /**
     * What one settlement did: the hold, what was spent of it, the overrun above it, and the budget
     * after (null when the gate cannot see the budget, e.g. through the sidecar protocol); {@code path}
     * is every level the hold was taken on, after, leaf first.
     */
    record Settled(String reservationId, long heldMicros, long committedMicros, long overrunMicros, BudgetState budget,
                   List<BudgetState> path) {
        public Settled {
            path = path == null ? (budget == null ? List.of() : List.of(budget)) : List.copyOf(path);
        }

        /** A settlement of a hold on a budget of no parent. */
        public Settled(String reservationId, long heldMicros, long committedMicros, long overrunMicros, BudgetState budget) {
            this(reservationId, heldMicros, committedMicros, overrunMicros, budget, null);
        }

        public long releasedMicros() {
            return Math.max(0, heldMicros - committedMicros);
        }

        /** The smallest remaining on the path after the settlement (null budget: {@link Long#MAX_VALUE}). */
        public long remainingOnPath() {
            return Ledger.remainingOnPath(path);
        }
    }

    /** A hold the sweeper settled after its TTL (on every level it was taken on): committed at the held amount if it was forwarded, else released. */
    record Expired(String reservationId, String budgetId, long heldMicros, boolean committed) { }
}
