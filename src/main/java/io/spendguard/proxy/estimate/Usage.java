package io.spendguard.proxy.estimate;

import io.spendguard.proxy.engine.Money;

/**
 * Tokens a provider reported, normalised: input not served from cache, cache reads, cache writes,
 * and output (reasoning included). A count the provider sent that is not a whole number of tokens
 * (negative, fractional, not a number, past a {@code long}) is read as {@link #UNREADABLE}, so that
 * such a usage is never billed: see {@link UsageBounds}.
 */
public record Usage(long uncachedInput, long cacheRead, long cacheWrite, long output) {
    public static final Usage NONE = new Usage(0, 0, 0, 0);
    /** The count a reader gives for a value that is not a whole, non-negative number of tokens. */
    public static final long UNREADABLE = -1;

    /** The input tokens of every kind, saturating at {@code Long.MAX_VALUE}. */
    public long totalInput() {
        return Money.add(Money.add(uncachedInput, cacheRead), cacheWrite);
    }

    /** True when every count is a whole, non-negative number. */
    public boolean readable() {
        return uncachedInput >= 0 && cacheRead >= 0 && cacheWrite >= 0 && output >= 0;
    }
}
