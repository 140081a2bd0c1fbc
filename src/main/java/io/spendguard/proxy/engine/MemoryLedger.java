package io.spendguard.proxy.engine;

import io.vertx.core.Future;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The in-process ledger: one lock around small in-memory maps, so reservation is atomic across
 * event loops. Spend resets when a budget's window rolls over. Forgets everything on restart (tests,
 * demo); durable backends implement the same {@link Ledger} contract.
 */
public final class MemoryLedger implements Ledger {
    private final Clock clock;
    private final Map<String, Account> accounts = new HashMap<>();
    private final Map<String, Reservation> reservations = new HashMap<>();

    public MemoryLedger(Clock clock) {
        this.clock = clock;
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

    private record Reservation(String budgetId, long amount, Instant expiresAt) { }

    @Override
    public synchronized Future<BudgetState> putBudget(BudgetSpec spec) {
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
        return Future.succeededFuture(state(a));
    }

    @Override
    public synchronized Future<BudgetState> budget(String id) {
        Account a = accounts.get(id);
        if (a == null) {
            return Future.failedFuture(new LedgerException(LedgerException.Kind.UNKNOWN_BUDGET, "unknown budget " + id));
        }
        return Future.succeededFuture(state(a));
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
            return Future.failedFuture(new LedgerException(LedgerException.Kind.UNKNOWN_BUDGET, "unknown budget " + id));
        }
        if (a.reserved > 0) {
            return Future.failedFuture(new IllegalStateException("budget " + id + " holds " + a.reserved
                    + " usd_micros in open reservations (expected: none; retry once they settle)"));
        }
        accounts.remove(id);
        return Future.succeededFuture(state(a));
    }

    @Override
    public synchronized Future<Hold> reserve(String budgetId, String reservationId, long amount, Instant expiresAt) {
        Account a = accounts.get(budgetId);
        if (a == null) {
            return Future.failedFuture(new LedgerException(LedgerException.Kind.UNKNOWN_BUDGET, "unknown budget " + budgetId));
        }
        if (reservations.containsKey(reservationId)) {
            return Future.failedFuture(new LedgerException(LedgerException.Kind.DUPLICATE_RESERVATION, "reservation exists: " + reservationId));
        }
        roll(a);
        if (a.committed + a.reserved + amount > a.spec.limitMicros()) {
            return Future.succeededFuture(new Hold(false, state(a)));
        }
        a.reserved += amount;
        reservations.put(reservationId, new Reservation(budgetId, amount, expiresAt));
        return Future.succeededFuture(new Hold(true, state(a)));
    }

    @Override
    public synchronized Future<Settled> commit(String reservationId, long amount) {
        return settle(reservationId, Math.max(0, amount));
    }

    @Override
    public synchronized Future<Settled> release(String reservationId) {
        return settle(reservationId, 0);
    }

    private Future<Settled> settle(String reservationId, long spend) {
        Reservation r = reservations.remove(reservationId);
        if (r == null) {
            return Future.failedFuture(new LedgerException(LedgerException.Kind.RESERVATION_STATE_CONFLICT,
                    "reservation " + reservationId + " is not held (already settled or unknown)"));
        }
        Account a = accounts.get(r.budgetId());
        roll(a);
        a.reserved -= r.amount();
        a.committed += spend;
        return Future.succeededFuture(new Settled(reservationId, r.amount(), spend, Math.max(0, spend - r.amount()), state(a)));
    }

    /** Starts a new window's spend when the clock has crossed the current window's end. */
    private void roll(Account a) {
        Instant now = clock.instant();
        if (a.window.end() != null && !now.isBefore(a.window.end())) {
            a.window = BudgetWindow.of(a.spec.window(), a.spec.timezone(), now);
            a.committed = 0;
        }
    }

    private BudgetState state(Account a) {
        roll(a);
        return new BudgetState(a.spec, a.reserved, a.committed, a.window);
    }
}
