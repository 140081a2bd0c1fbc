package io.spendguard.proxy.estimate;

/**
 * Tokens a provider reported, normalised: input not served from cache, cache reads, cache writes,
 * and output (reasoning included).
 */
public record Usage(long uncachedInput, long cacheRead, long cacheWrite, long output) {
    public static final Usage NONE = new Usage(0, 0, 0, 0);

    public long totalInput() {
        return uncachedInput + cacheRead + cacheWrite;
    }
}
