package io.spendguard.proxy.ledger;

import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import java.util.List;

/**
 * The budget-tree rules (SPEC §11) a durable ledger applies inside its own transaction, from what it
 * read there: which parent a budget may name (from the chain above the new parent and the height of
 * the budget's subtree, never the whole table), and a settlement reported on every level.
 */
public final class BudgetTreeRules {
    private BudgetTreeRules() {
    }

    /**
     * Why {@code spec} may not be written, or null when it may. {@code chain} is its parent and the
     * parent's ancestors, nearest first, as stored now (null when the parent does not exist; ignored
     * for a root); {@code levels} is how many levels {@code spec}'s subtree has today, the budget
     * itself included (1 for a new budget or a leaf).
     */
    public static LedgerException refusal(BudgetSpec spec, List<String> chain, int levels) {
        if (spec.parent() == null) {
            return levels > BudgetSpec.MAX_DEPTH ? tooDeep(spec.id(), levels) : null;
        }
        if (chain == null) {
            return new LedgerException(LedgerException.Kind.UNKNOWN_PARENT,
                    "parent: " + spec.parent() + " (expected: the id of an existing budget)");
        }
        if (chain.contains(spec.id())) {
            return new LedgerException(LedgerException.Kind.BUDGET_CYCLE, "parent: " + spec.parent() + " is " + spec.id()
                    + " or one of its descendants (expected: a budget outside its subtree)");
        }
        int depth = chain.size() + levels;
        return depth > BudgetSpec.MAX_DEPTH ? tooDeep(spec.id(), depth) : null;
    }

    /** The refusal to delete a budget that other budgets name as their parent. */
    public static LedgerException hasChildren(String id) {
        return new LedgerException(LedgerException.Kind.HAS_CHILDREN,
                "budget " + id + " has child budgets (expected: none; delete or move them first)");
    }

    /** {@code settled} reported on every level its hold was taken on ({@code path}, after, leaf first). */
    public static Ledger.Settled onPath(Ledger.Settled settled, List<BudgetState> path) {
        return new Ledger.Settled(settled.reservationId(), settled.heldMicros(), settled.committedMicros(), settled.overrunMicros(),
                path.get(0), path);
    }

    private static LedgerException tooDeep(String id, int depth) {
        return new LedgerException(LedgerException.Kind.TREE_TOO_DEEP, "parent: " + id + " would make a tree of " + depth
                + " levels (expected: at most " + BudgetSpec.MAX_DEPTH + ")");
    }
}
