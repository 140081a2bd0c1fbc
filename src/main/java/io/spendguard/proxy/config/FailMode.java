package io.spendguard.proxy.config;

/**
 * What a call gets when the gate cannot decide in time or fails ({@code gate.fail_mode}): refused
 * ({@code closed}) or let through without a reservation ({@code open}).
 */
public enum FailMode implements Labelled {
    /** Refuse the call. */
    CLOSED("closed"),
    /** Forward the call unreserved. */
    OPEN("open");

    private final String label;

    FailMode(String label) {
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
