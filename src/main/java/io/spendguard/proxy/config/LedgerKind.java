package io.spendguard.proxy.config;

/** The ledger backend ({@code ledger.kind}): where budgets, reservations and the audit chain are kept. */
public enum LedgerKind implements Labelled {
    /** In this process only: gone on restart. */
    MEMORY("memory"),
    /** A SQLite file ({@code ledger.path}). */
    SQLITE("sqlite"),
    /** A PostgreSQL database ({@code ledger.url}), shareable between replicas. */
    POSTGRES("postgres");

    private final String label;

    LedgerKind(String label) {
        this.label = label;
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
