package io.spendguard.proxy.config;

/**
 * How clients authenticate ({@code auth.mode}): with their own provider key, forwarded as sent, or
 * with a SpendGuard virtual key, for which the proxy injects the configured provider key.
 */
public enum AuthMode implements Labelled {
    /** The client's provider key is forwarded. */
    PASSTHROUGH("passthrough"),
    /** Only SpendGuard keys are accepted; the provider key is the proxy's. */
    VIRTUAL_KEYS("virtual_keys");

    private final String label;

    AuthMode(String label) {
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
