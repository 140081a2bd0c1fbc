package io.spendguard.proxy.sidecar.server;

import io.spendguard.proto.adapter.v1.DecisionRequest;
import io.spendguard.proto.common.v1.BudgetClaim;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.LedgerException;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code inputs.projected_claims} of a {@code DecisionRequest}, checked: one claim on the budget
 * the call is on (the leaf; empty {@code budget_id}: the sidecar's default budget), which the ledger
 * holds on that budget and every ancestor of it; or the leaf and its ancestors as one claim each
 * (SPEC §11: every level of a budget tree is one {@code BudgetClaim} of the same request).
 * <p>
 * With several claims, {@code projected_claims[0]} is the leaf and the others are its ancestors, each
 * exactly once, in any order (leaf → root is the natural one): together they must be the whole path
 * from the leaf to its root, as the tree stands when the request is decided. Every claim is a DEBIT
 * of the same amount in the same unit: one call holds the same amount on every level. The call is
 * then decided once, on the leaf, so each level is held once however many claims name it. What is
 * not a valid claim set is INVALID_ARGUMENT, naming the field; a leaf that does not exist is NOT_FOUND.
 *
 * @param leaf     the budget the call is on (null: the sidecar's default budget)
 * @param levels   every budget the claims name, as sent (empty for one claim on the default budget)
 * @param amountMicros what each claim holds
 * @param unitId   the claims' unit (the caller must convert when it is not the sidecar's)
 */
record Claims(String leaf, List<String> levels, long amountMicros, String unitId) {
    private static final String FIELD = "inputs.projected_claims";

    Claims {
        levels = List.copyOf(levels);
    }

    /** The claims of {@code inputs}, or a {@link io.vertx.grpc.server.StatusException} INVALID_ARGUMENT naming the field at fault. */
    static Claims of(DecisionRequest.Inputs inputs) {
        int count = inputs.getProjectedClaimsCount();
        if (count < 1 || count > BudgetSpec.MAX_DEPTH) {
            throw invalid(FIELD + ": " + count + " claims (expected: 1 to " + BudgetSpec.MAX_DEPTH
                    + ": the call's budget, then each of its ancestors)");
        }
        BudgetClaim first = inputs.getProjectedClaims(0);
        long amount = 0;
        List<String> levels = new ArrayList<>(count);
        Set<String> named = new HashSet<>();
        for (int i = 0; i < count; i++) {
            BudgetClaim claim = inputs.getProjectedClaims(i);
            String field = FIELD + "[" + i + "]";
            if (claim.getDirection() != BudgetClaim.Direction.DEBIT) {
                throw invalid(field + ".direction: " + claim.getDirection() + " (expected: DEBIT)");
            }
            if (i > 0 && !claim.getUnit().getUnitId().equals(first.getUnit().getUnitId())) {
                throw invalid(field + ".unit.unit_id: '" + claim.getUnit().getUnitId() + "' (expected: '"
                        + first.getUnit().getUnitId() + "', the unit of " + FIELD + "[0]: every level is claimed in one unit)");
            }
            long parsed;
            try {
                parsed = Messages.amount(field + ".amount_atomic", claim.getAmountAtomic());
            } catch (IllegalArgumentException e) {
                throw invalid(e.getMessage());
            }
            if (i == 0) {
                amount = parsed;
            } else if (parsed != amount) {
                throw invalid(field + ".amount_atomic: '" + claim.getAmountAtomic() + "' (expected: " + amount
                        + ", the amount of " + FIELD + "[0]: one call claims the same amount on every level)");
            }
            String budget = claim.getBudgetId();
            if (count > 1 && budget.isEmpty()) {
                throw invalid(field + ".budget_id: empty (expected: a budget id; only a single claim may leave it out for the default budget)");
            }
            if (!budget.isEmpty() && !named.add(budget)) {
                throw invalid(field + ".budget_id: '" + budget + "' is claimed twice (expected: each level once)");
            }
            if (!budget.isEmpty()) {
                levels.add(budget);
            }
        }
        return new Claims(first.getBudgetId().isEmpty() ? null : first.getBudgetId(), levels, amount, first.getUnit().getUnitId());
    }

    /**
     * Succeeds when the claims name the leaf alone, or exactly its path to the root in {@code ledger};
     * otherwise fails with INVALID_ARGUMENT naming the claim that is not on the path (or the count, when
     * levels are missing), or NOT_FOUND {@code "unknown budget <leaf>"}. A virtual key's call
     * ({@code keyId} not null) on another tenant's leaf fails first, as the engine would refuse it
     * ({@link ProxyError#BUDGET_FORBIDDEN}), so that the tree is not told to it; a message names only
     * budgets the caller sent, never the ancestors it left out.
     */
    Future<Void> checkPath(Ledger ledger, String keyId, String tenant) {
        if (levels.size() <= 1) {
            return Future.succeededFuture();
        }
        return ledger.path(leaf).transform(ar -> {
            if (ar.failed()) {
                return ar.cause() instanceof LedgerException le && le.kind() == LedgerException.Kind.UNKNOWN_BUDGET
                        ? Future.failedFuture(Messages.status(GrpcStatus.NOT_FOUND, "unknown budget " + leaf))
                        : Future.failedFuture(ar.cause());
            }
            BudgetSpec spec = ar.result().get(0).spec();
            if (keyId != null && !spec.chargeableBy(tenant)) {
                return Future.failedFuture(ProxyError.BUDGET_FORBIDDEN.exception("Budget '" + spec.id()
                        + "' belongs to another tenant than this key's."));
            }
            Set<String> path = new HashSet<>();
            for (BudgetState level : ar.result()) {
                path.add(level.spec().id());
            }
            for (int i = 1; i < levels.size(); i++) {
                if (!path.contains(levels.get(i))) {
                    return Future.failedFuture(invalid(FIELD + "[" + i + "].budget_id: '" + levels.get(i) + "' is not an ancestor of '"
                            + leaf + "' (expected: " + FIELD + "[0]'s budget, then each of its ancestors once)"));
                }
            }
            if (path.size() != levels.size()) {
                return Future.failedFuture(invalid(FIELD + ": " + levels.size() + " levels, but '" + leaf + "' has " + path.size()
                        + " from itself to its root (expected: every level, or " + FIELD + "[0] alone)"));
            }
            return Future.succeededFuture();
        });
    }

    private static RuntimeException invalid(String message) {
        return Messages.status(GrpcStatus.INVALID_ARGUMENT, message);
    }
}
