package io.spendguard.proxy.engine;

import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.LedgerException;
import io.vertx.core.Future;
import java.util.Collection;
import java.util.List;

/**
 * Reads of the budget tree (SPEC §11) that callers outside the ledger need: a budget's children,
 * and whether a virtual key may charge a budget it names by {@code X-SpendGuard-Budget-Id}. A key
 * whose budget is part of a tree (it has a parent or children) may charge its own budget and the
 * budgets below it, nothing else; a key whose budget stands alone keeps the tenant rule
 * ({@link BudgetSpec#chargeableBy}), which the engine applies to every call either way.
 */
public final class BudgetTrees {
    private BudgetTrees() {
    }

    /** The ids of the budgets among {@code budgets} whose parent is {@code id}, sorted. */
    public static List<String> children(Collection<BudgetState> budgets, String id) {
        return budgets.stream().map(BudgetState::spec).filter(s -> id.equals(s.parent())).map(BudgetSpec::id).sorted().toList();
    }

    /**
     * Succeeds when a key bound to {@code keyBudgetId} may charge {@code budgetId}: it is the key's
     * budget or below it, or the key's budget is in no tree. Fails with a 403 {@code budget_forbidden}
     * that tells nothing of the budget otherwise. An unknown {@code budgetId} (or key budget) succeeds
     * here: the decision that follows refuses an unknown budget as it always has.
     */
    public static Future<Void> withinSubtree(Ledger ledger, String keyBudgetId, String budgetId) {
        if (keyBudgetId == null || budgetId == null || keyBudgetId.equals(budgetId)) {
            return Future.succeededFuture();
        }
        return ledger.path(budgetId).compose(path -> {
            if (path.stream().anyMatch(b -> b.spec().id().equals(keyBudgetId))) {
                return Future.<Void>succeededFuture();
            }
            return inTree(ledger, keyBudgetId).compose(tree -> tree
                    ? Future.<Void>failedFuture(ProxyError.BUDGET_FORBIDDEN.exception("Budget '" + budgetId
                            + "' is outside this key's budget tree: it may charge its own budget '" + keyBudgetId
                            + "' and the budgets below it."))
                    : Future.<Void>succeededFuture());
        }, e -> e instanceof LedgerException le && le.kind() == LedgerException.Kind.UNKNOWN_BUDGET
                ? Future.succeededFuture() : Future.failedFuture(e));
    }

    /** Whether budget {@code id} has a parent or children (false for an unknown budget). */
    private static Future<Boolean> inTree(Ledger ledger, String id) {
        return ledger.budgets().map(all -> all.stream().map(BudgetState::spec)
                .anyMatch(s -> id.equals(s.parent()) || (s.id().equals(id) && s.parent() != null)));
    }
}
