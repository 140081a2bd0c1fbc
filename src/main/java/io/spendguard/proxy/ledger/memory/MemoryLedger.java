package io.spendguard.proxy.ledger.memory;

import io.spendguard.proxy.engine.AuditEvents;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.BudgetWindow;
import io.spendguard.proxy.ledger.IdempotencyStore;
import io.spendguard.proxy.ledger.BudgetTreeRules;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.LedgerBackend;
import io.spendguard.proxy.ledger.LedgerException;
import io.spendguard.proxy.ledger.RunLimit;
import io.spendguard.proxy.ledger.RunState;
import io.spendguard.proxy.engine.Money;
import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.audit.AuditLog;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Instant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The in-process ledger: one lock around small in-memory maps, so reservation is atomic across
 * event loops. Spend resets when a budget's window rolls over. Forgets everything on restart (tests,
 * demo); durable backends implement the same {@link Ledger} contract. Its audit chain is kept in
 * memory too ({@link MemoryAudit}), each change's records queued under the same lock. Agent runs
 * ({@link RunLimit}) are counted under that lock as well, in the same step as the budget's hold. A
 * budget tree (SPEC §11) is checked and held under the lock too: a reservation walks from its budget up
 * to the root, each level in its own window, and holds on every level or none; the levels are kept
 * with the hold, so it settles where it was taken even if a budget moves later.
 */
public final class MemoryLedger extends LedgerBackend {
    private final Clock clock;
    private final Map<String, Account> accounts = new HashMap<>();
    private final Map<String, Held> holds = new HashMap<>();
    private final Map<String, Run> runs = new HashMap<>();
    private final IdempotencyStore idempotency = new MemoryIdempotency(Duration.ofMinutes(10), 64L * 1024 * 1024);

    private final MemoryAudit audit;

    /** A ledger whose audit chain is signed with a key that lives as long as the process. */
    public MemoryLedger(Clock clock) {
        this(clock, AuditChain.ephemeral(clock));
    }

    public MemoryLedger(Clock clock, AuditChain chain) {
        this.clock = clock;
        this.audit = new MemoryAudit(chain, MemoryAudit.DEFAULT_CAPACITY);
    }

    private void record(AuditEvent event) {
        audit.enqueue(event);
    }

    private static final class Account {
        BudgetSpec spec;
        long reserved;
        long committed;
        BudgetWindow window;

        Account(BudgetSpec spec, BudgetWindow window) {
            this.spec = spec;
            this.window = window;
        }
    }

    private static final class Held {
        final Reservation reservation;
        /** The run the hold was taken under, or null. */
        final Run run;
        /** The budgets the hold was taken on, leaf first. */
        final List<String> levels;

        Held(Reservation reservation, Run run, List<String> levels) {
            this.reservation = reservation;
            this.run = run;
            this.levels = levels;
        }
    }

    /** One agent run's counters; {@code open} is how many of its holds are not settled yet. */
    private static final class Run {
        final String id;
        final String budgetId;
        final Instant firstSeen;
        Instant lastSeen;
        long steps;
        long reserved;
        long committed;
        int open;
        String stopReason;

        Run(String id, String budgetId, Instant now) {
            this.id = id;
            this.budgetId = budgetId;
            this.firstSeen = now;
            this.lastSeen = now;
        }

        RunState state() {
            return new RunState(id, budgetId, steps, reserved, committed, firstSeen, lastSeen, stopReason);
        }

        void settled(long held, long spend) {
            reserved = Money.less(reserved, held);
            committed = Money.add(committed, spend);
            open--;
        }
    }

    /**
     * The 10,000 most recently settled reservation ids, so that reusing one is refused as the durable
     * ledgers refuse it (bounded small: every entry lives until evicted, and a large set of such
     * entries lengthens every young collection). Oldest first out; touched under the ledger's lock only,
     * so a plain map does (a concurrent cache's bookkeeping cost more than the rest of a settlement).
     */
    private final Map<String, Boolean> settled = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > SETTLED_KEPT;
        }
    };
    private static final int SETTLED_KEPT = 10_000;

    @Override
    public synchronized Future<BudgetState> putBudget(BudgetSpec spec) {
        LedgerException refused = treeRefusal(spec, parents());
        if (refused != null) {
            return Future.failedFuture(refused);
        }
        Account a = accounts.get(spec.id());
        if (a == null) {
            a = new Account(spec, BudgetWindow.of(spec.window(), spec.timezone(), clock.instant()));
            accounts.put(spec.id(), a);
        } else {
            boolean windowChanged = !a.spec.window().equals(spec.window()) || !a.spec.timezone().equals(spec.timezone());
            a.spec = spec;
            if (windowChanged) {
                a.window = BudgetWindow.of(spec.window(), spec.timezone(), clock.instant());
            }
        }
        record(AuditEvents.budgetPut(spec));
        return Future.succeededFuture(state(a));
    }

    @Override
    public synchronized Future<BudgetState> createBudget(BudgetSpec spec) {
        if (accounts.containsKey(spec.id())) {
            return Future.failedFuture(Ledger.exists(spec.id()));
        }
        return putBudget(spec);
    }

    @Override
    public synchronized Future<BudgetState> budget(String id) {
        Account a = accounts.get(id);
        if (a == null) {
            return Future.failedFuture(unknownBudget(id));
        }
        return Future.succeededFuture(state(a));
    }

    @Override
    public synchronized Future<List<BudgetState>> path(String id) {
        Account a = accounts.get(id);
        if (a == null) {
            return Future.failedFuture(unknownBudget(id));
        }
        return Future.succeededFuture(statesOf(pathOf(a)));
    }

    @Override
    public synchronized Future<List<BudgetState>> budgets() {
        List<BudgetState> out = new ArrayList<>();
        accounts.values().forEach(a -> out.add(state(a)));
        out.sort(java.util.Comparator.comparing(s -> s.spec().id()));
        return Future.succeededFuture(out);
    }

    @Override
    public synchronized Future<BudgetState> deleteBudget(String id) {
        Account a = accounts.get(id);
        if (a == null) {
            return Future.failedFuture(unknownBudget(id));
        }
        if (hasChildren(id, parents())) {
            return Future.failedFuture(BudgetTreeRules.hasChildren(id));
        }
        if (a.reserved > 0) {
            return Future.failedFuture(Ledger.stillHeld(id, a.reserved));
        }
        accounts.remove(id);
        BudgetState last = state(a);
        record(AuditEvents.budgetDeleted(last));
        return Future.succeededFuture(last);
    }

    @Override
    public synchronized Future<Hold> reserve(Reservation r) {
        Account a = accounts.get(r.budgetId());
        if (a == null) {
            return Future.failedFuture(unknownBudget(r.budgetId()));
        }
        Held existing = holds.get(r.id());
        if (existing != null && existing.reservation.budgetId().equals(r.budgetId())
                && existing.reservation.amountMicros() == r.amountMicros()) {
            List<BudgetState> path = states(existing.levels);
            return Future.succeededFuture(new Hold(true, path.get(0), existing.run == null ? null : existing.run.state(), null,
                    path, null));
        }
        if (existing != null || settled.containsKey(r.id())) {
            return Future.failedFuture(new LedgerException(LedgerException.Kind.DUPLICATE_RESERVATION, "reservation exists: " + r.id()));
        }
        List<Account> levels = pathOf(a);
        Instant now = clock.instant();
        RunLimit limit = r.run();
        Run run = limit == null ? null : runs.get(limit.runId());
        if (run != null) {
            run.lastSeen = now;
        }
        String runRefusal = limit == null ? null : limit.refusal(run == null ? null : run.state(), r.amountMicros());
        String refusedBy = runRefusal != null ? null : refusedBy(statesOf(levels), r.amountMicros());
        Hold hold;
        if (runRefusal != null) {
            List<BudgetState> path = statesOf(levels);
            hold = new Hold(false, path.get(0), run != null ? run.state() : new Run(limit.runId(), r.budgetId(), now).state(), runRefusal,
                    path, null);
        } else if (refusedBy != null) {
            List<BudgetState> path = statesOf(levels);
            hold = new Hold(false, path.get(0), run == null ? null : run.state(), null, path, refusedBy);
        } else {
            List<String> ids = new ArrayList<>(levels.size());
            for (Account level : levels) {
                level.reserved = Money.add(level.reserved, r.amountMicros());
                ids.add(level.spec.id());
            }
            if (limit != null) {
                run = run != null ? run : runs.computeIfAbsent(limit.runId(), id -> new Run(id, r.budgetId(), now));
                run.steps++;
                run.open++;
                run.reserved = Money.add(run.reserved, r.amountMicros());
            }
            holds.put(r.id(), new Held(r, run, List.copyOf(ids)));
            List<BudgetState> path = statesOf(levels);
            hold = new Hold(true, path.get(0), run == null ? null : run.state(), null, path, null);
        }
        Hold decided = hold;
        audit.enqueue(() -> r.auditOf(decided)); // built on the audit thread: a hold and a reservation do not change
        return Future.succeededFuture(hold);
    }

    @Override
    protected synchronized Future<Settled> settle(String reservationId, long spend, End end) {
        Held h = holds.remove(reservationId);
        if (h == null) {
            return Future.failedFuture(notHeld(reservationId));
        }
        settled.put(reservationId, true);
        return Future.succeededFuture(settleLevels(h, spend, end));
    }

    @Override
    public synchronized Future<List<Expired>> sweep(Instant now) {
        List<Expired> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, Held>> it = holds.entrySet().iterator(); it.hasNext(); ) {
            Held h = it.next().getValue();
            if (now.isBefore(h.reservation.expiresAt())) {
                continue;
            }
            it.remove();
            settled.put(h.reservation.id(), true);
            long held = h.reservation.amountMicros();
            End end = End.expired(h.reservation.forwarded());
            settleLevels(h, end.expirySpend(held), end);
            out.add(new Expired(h.reservation.id(), h.reservation.budgetId(), held, h.reservation.forwarded()));
        }
        return Future.succeededFuture(out);
    }

    /** Frees {@code h} on every level it was taken on, spending {@code spend} on each, and its run; writes the audit record. */
    private Settled settleLevels(Held h, long spend, End end) {
        long amount = h.reservation.amountMicros();
        for (String id : h.levels) {
            Account level = accounts.get(id);
            if (level != null) {
                roll(level);
                level.reserved = Money.less(level.reserved, amount);
                level.committed = Money.add(level.committed, spend);
            }
        }
        if (h.run != null) {
            h.run.settled(amount, spend);
        }
        return settled(end, h.reservation.id(), states(h.levels), amount, spend, this::record);
    }

    @Override
    public synchronized Future<RunState> run(String id) {
        Run run = runs.get(id);
        if (run == null) {
            return Future.failedFuture(new LedgerException(LedgerException.Kind.UNKNOWN_RUN, "unknown run: " + id));
        }
        return Future.succeededFuture(run.state());
    }

    @Override
    public synchronized Future<List<RunState>> runs(String budgetId, Boolean stopped, int limit) {
        List<RunState> out = runs.values().stream()
                .filter(run -> budgetId == null || budgetId.equals(run.budgetId))
                .filter(run -> stopped == null || stopped == (run.stopReason != null))
                .map(Run::state)
                .sorted(Comparator.comparing(RunState::lastSeen).reversed().thenComparing(RunState::id))
                .limit(Math.max(0, limit))
                .toList();
        return Future.succeededFuture(out);
    }

    @Override
    public synchronized Future<RunState> stopRun(String id, String budgetId, String reason) {
        Run run = runs.computeIfAbsent(id, k -> new Run(k, budgetId, clock.instant()));
        if (run.stopReason == null) {
            run.stopReason = reason;
            record(AuditEvents.runStop(run.state()));
        }
        return Future.succeededFuture(run.state());
    }

    @Override
    public synchronized Future<Integer> forgetRuns(Instant idleBefore) {
        int before = runs.size();
        runs.values().removeIf(run -> run.open == 0 && run.stopReason == null && run.lastSeen.isBefore(idleBefore));
        return Future.succeededFuture(before - runs.size());
    }

    @Override
    public IdempotencyStore idempotency() {
        return idempotency;
    }

    @Override
    public AuditLog audit() {
        return audit;
    }

    @Override
    public Future<Void> close() {
        return Future.succeededFuture();
    }

    /** Starts a new window's spend when the clock has crossed the current window's end. */
    private void roll(Account a) {
        Instant now = clock.instant();
        if (a.window.end() != null && !now.isBefore(a.window.end())) {
            a.window = BudgetWindow.of(a.spec.window(), a.spec.timezone(), now);
            a.committed = 0;
        }
    }

    /** Every budget's parent (null: a root), for the tree checks. */
    private Map<String, String> parents() {
        Map<String, String> out = new HashMap<>();
        accounts.forEach((id, a) -> out.put(id, a.spec.parent()));
        return out;
    }

    /** {@code leaf} and its ancestors, leaf first (bounded by the tree's depth). */
    private List<Account> pathOf(Account leaf) {
        List<Account> out = new ArrayList<>();
        for (Account at = leaf; at != null && out.size() < BudgetSpec.MAX_DEPTH; at = at.spec.parent() == null ? null : accounts.get(at.spec.parent())) {
            out.add(at);
        }
        return out;
    }

    private List<BudgetState> statesOf(List<Account> levels) {
        return levels.stream().map(this::state).toList();
    }

    /** The current states of the budgets {@code ids} that still exist, in that order. */
    private List<BudgetState> states(List<String> ids) {
        List<BudgetState> out = new ArrayList<>(ids.size());
        for (String id : ids) {
            Account level = accounts.get(id);
            if (level != null) {
                out.add(state(level));
            }
        }
        return out;
    }

    private BudgetState state(Account a) {
        roll(a);
        return new BudgetState(a.spec, a.reserved, a.committed, a.window);
    }
}
