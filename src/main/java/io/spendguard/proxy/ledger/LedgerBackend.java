package io.spendguard.proxy.ledger;

import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.engine.AuditEvents;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.Money;
import io.vertx.core.Future;
import java.util.function.Consumer;

/**
 * The settle outline every ledger backend shares, so that memory, SQLite and PostgreSQL end a hold
 * the same way: a commit spends {@code max(0, amount)} and a release spends nothing, each one
 * settlement of the hold; an expired hold is committed at its held amount when it was forwarded and
 * released when it never was; every settlement writes one audit record ({@code commit},
 * {@code release} or {@code expire}) and reports the overrun above the hold. A backend supplies the
 * one atomic step that marks the reservation and moves its hold ({@link #settle}); the refusals it
 * fails with are named here too.
 */
public abstract class LedgerBackend implements Ledger {

    /** How a hold ends: the state its reservation keeps, and the type of the audit record written. */
    protected enum End {
        COMMITTED("committed", AuditEvent.COMMIT),
        RELEASED("released", AuditEvent.RELEASE),
        EXPIRED_COMMITTED("expired_committed", AuditEvent.EXPIRE),
        EXPIRED_RELEASED("expired_released", AuditEvent.EXPIRE);

        private final String state;
        private final String auditType;

        End(String state, String auditType) {
            this.state = state;
            this.auditType = auditType;
        }

        /**
         * The end of a hold whose TTL passed: committed at its held amount if it was forwarded (the
         * provider may bill it), else released.
         */
        public static End expired(boolean forwarded) {
            return forwarded ? EXPIRED_COMMITTED : EXPIRED_RELEASED;
        }

        /** The reservation's stored state after this end. */
        public String state() {
            return state;
        }

        /** What an expiry of this kind spends of a hold of {@code heldMicros}. */
        public long expirySpend(long heldMicros) {
            return this == EXPIRED_COMMITTED ? heldMicros : 0;
        }
    }

    @Override
    public final Future<Settled> commit(String reservationId, long amount) {
        return settle(reservationId, Math.max(0, amount), End.COMMITTED);
    }

    @Override
    public final Future<Settled> release(String reservationId) {
        return settle(reservationId, 0, End.RELEASED);
    }

    /**
     * Ends a held reservation atomically: marks it {@code end}, frees its hold and adds
     * {@code spendMicros} to its budget's spend, then reports it with {@link #settled}. Fails with
     * {@link #notHeld} when the reservation is unknown or already settled.
     */
    protected abstract Future<Settled> settle(String reservationId, long spendMicros, End end);

    /**
     * What ending a hold of {@code heldMicros} with {@code spendMicros} did, the budget being
     * {@code after}; writes its audit record to {@code audit} (the backend's transaction).
     */
    protected static Settled settled(End end, String reservationId, String budgetId, long heldMicros, long spendMicros,
                                     BudgetState after, Consumer<AuditEvent> audit) {
        audit.accept(AuditEvents.settled(end.auditType, reservationId, budgetId, heldMicros, spendMicros, after));
        return new Settled(reservationId, heldMicros, spendMicros, Money.less(spendMicros, heldMicros), after);
    }

    /** The refusal to settle or forward a reservation that is not held. */
    protected static LedgerException notHeld(String reservationId) {
        return new LedgerException(LedgerException.Kind.RESERVATION_STATE_CONFLICT,
                "reservation " + reservationId + " is not held (already settled or unknown)");
    }

    /** The refusal of a budget id that names no budget. */
    protected static LedgerException unknownBudget(String id) {
        return new LedgerException(LedgerException.Kind.UNKNOWN_BUDGET, "unknown budget " + id);
    }
}
