package io.spendguard.proxy.ledger;

/** A ledger refusal with a stable kind; stackless, as it is expected control flow. */
public final class LedgerException extends RuntimeException {
    /** Why the ledger refused. */
    public enum Kind { UNKNOWN_BUDGET, BUDGET_EXISTS, UNKNOWN_RESERVATION, RESERVATION_STATE_CONFLICT, DUPLICATE_RESERVATION, UNKNOWN_RUN }

    private final Kind kind;

    public LedgerException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
