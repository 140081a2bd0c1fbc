package io.spendguard.proxy.config;

/**
 * A value from a closed set that the configuration spells as a lowercase word ({@code sidecar},
 * {@code postgres}, {@code anthropic}). The label is what the file holds and what metrics, logs
 * and error bodies show; {@link ConfigNode#choice(String, Enum)} parses it.
 */
public interface Labelled {

    /** The value as written in the configuration, e.g. {@code virtual_keys}. */
    String label();
}
