package io.spendguard.proxy.config;

/**
 * Who owns budgets and takes decisions ({@code gate.mode}): the engine inside this process, or the
 * SpendGuard sidecar over its Unix socket. The label is also the {@code mode} metric label.
 */
public enum GateMode implements Labelled {
    /** The embedded engine and this process's own ledger. */
    EMBEDDED("embedded"),
    /** The SpendGuard sidecar: no local engine or ledger. */
    SIDECAR("sidecar");

    private final String label;

    GateMode(String label) {
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
