package io.spendguard.proxy.ledger;

import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.engine.AuditEvents;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.Money;
import io.spendguard.proxy.engine.BudgetSpec;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The settle outline every ledger backend shares, so that memory, SQLite and PostgreSQL end a hold
 * the same way: a commit spends {@code max(0, amount)} and a release spends nothing, each one
 * settlement of the hold; an expired hold is committed at its held amount when it was forwarded and
 * released when it never was; every settlement writes one audit record ({@code commit},
 * {@code release} or {@code expire}) and reports the overrun above the hold. A backend supplies the
 * one atomic step that marks the reservation and moves its hold ({@link #settle}); the refusals it
 * fails with are named here too. For budget trees (SPEC §11) the rules every backend applies inside its
 * own transaction are here as well: which parent a budget may name ({@link #treeRefusal}), which level
 * of a path refuses a claim ({@link #refusedBy}), the order levels are locked in ({@link #lockOrder}),
 * and a settlement reported on every level the hold was taken on ({@link #settled(End, String, List, long, long, Consumer)}).
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

    /**
     * What ending a hold taken on {@code pathAfter} (its levels after the settlement, leaf first) did:
     * one audit record, on the leaf, naming every level ({@code budget_path}).
     */
    protected static Settled settled(End end, String reservationId, List<BudgetState> pathAfter, long heldMicros, long spendMicros,
                                     Consumer<AuditEvent> audit) {
        BudgetState leaf = pathAfter.get(0);
        audit.accept(AuditEvents.settled(end.auditType, reservationId, leaf.spec().id(), heldMicros, spendMicros, leaf,
                pathAfter.stream().map(b -> b.spec().id()).toList()));
        return new Settled(reservationId, heldMicros, spendMicros, Money.less(spendMicros, heldMicros), leaf, pathAfter);
    }

    /**
     * The first level of {@code path} (leaf first, each in its current window) that cannot hold
     * {@code amountMicros} more; null when every level can.
     */
    protected static String refusedBy(List<BudgetState> path, long amountMicros) {
        for (BudgetState level : path) {
            if (!Money.fits(level.spec().limitMicros(), level.reservedMicros(), level.committedMicros(), amountMicros)) {
                return level.spec().id();
            }
        }
        return null;
    }

    /** The order a reservation locks the levels of a path in (by id), the same for every caller: no deadlock. */
    protected static List<String> lockOrder(List<String> pathIds) {
        return pathIds.stream().distinct().sorted().toList();
    }

    /**
     * Why {@code spec} may not be written into a ledger whose budgets have the parents {@code parents}
     * (every budget's id → its parent, null for a root; {@code spec}'s own entry, if any, is its current
     * one): its parent unknown ({@link LedgerException.Kind#UNKNOWN_PARENT}), the budget itself or one of
     * its descendants ({@link LedgerException.Kind#BUDGET_CYCLE}), or the tree — counting the deepest
     * descendant of the budget — deeper than {@link BudgetSpec#MAX_DEPTH} ({@link LedgerException.Kind#TREE_TOO_DEEP}).
     * Null when it may.
     */
    protected static LedgerException treeRefusal(BudgetSpec spec, Map<String, String> parents) {
        List<String> chain = null;
        if (spec.parent() != null && parents.containsKey(spec.parent())) {
            chain = new ArrayList<>();
            for (String at = spec.parent(); at != null && chain.size() <= parents.size(); at = parents.get(at)) {
                chain.add(at);
            }
        }
        return BudgetTreeRules.refusal(spec, chain, height(spec.id(), children(parents)));
    }

    /** True when some budget in {@code parents} (id → parent) names {@code id} as its parent. */
    protected static boolean hasChildren(String id, Map<String, String> parents) {
        return parents.containsValue(id);
    }

    private static Map<String, List<String>> children(Map<String, String> parents) {
        Map<String, List<String>> out = new HashMap<>();
        parents.forEach((id, parent) -> {
            if (parent != null) {
                out.computeIfAbsent(parent, p -> new ArrayList<>()).add(id);
            }
        });
        return out;
    }

    /** Levels from {@code id} down to its deepest descendant, {@code id} included (bounded: a cycle cannot loop). */
    private static int height(String id, Map<String, List<String>> children) {
        int levels = 0;
        List<String> frontier = List.of(id);
        while (!frontier.isEmpty() && levels <= BudgetSpec.MAX_DEPTH + 1) {
            levels++;
            List<String> next = new ArrayList<>();
            for (String at : frontier) {
                next.addAll(children.getOrDefault(at, List.of()));
            }
            frontier = next;
        }
        return levels;
    }

    /** The refusal to settle a reservation that is not held. */
    protected static LedgerException notHeld(String reservationId) {
        return new LedgerException(LedgerException.Kind.RESERVATION_STATE_CONFLICT,
                "reservation " + reservationId + " is not held (already settled or unknown)");
    }

    /** The refusal of a budget id that names no budget. */
    protected static LedgerException unknownBudget(String id) {
        return new LedgerException(LedgerException.Kind.UNKNOWN_BUDGET, "unknown budget " + id);
    }
}
