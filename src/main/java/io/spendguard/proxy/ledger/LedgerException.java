package io.spendguard.proxy.ledger;

/** A ledger refusal with a stable kind; stackless, as it is expected control flow. */
public final class LedgerException extends RuntimeException {
    /** Why the ledger refused. */
    public enum Kind {
        UNKNOWN_BUDGET, BUDGET_EXISTS, UNKNOWN_RESERVATION, RESERVATION_STATE_CONFLICT, DUPLICATE_RESERVATION, UNKNOWN_RUN,
        /** A budget's parent does not exist. */
        UNKNOWN_PARENT,
        /** A budget's parent is the budget itself or one of its descendants. */
        BUDGET_CYCLE,
        /** A budget would sit deeper than {@link io.spendguard.proxy.engine.BudgetSpec#MAX_DEPTH} levels (or have descendants that would). */
        TREE_TOO_DEEP,
        /** A budget that still has children cannot be deleted. */
        HAS_CHILDREN
    }

    private final Kind kind;

    public LedgerException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
