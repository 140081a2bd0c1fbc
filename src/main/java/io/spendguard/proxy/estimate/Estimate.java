package io.spendguard.proxy.estimate;

/**
 * The claim for one call: input tokens, output ceiling, and their price in µUSD (rounded up);
 * {@code choices} is the call's {@code n} (1 when it has none), which bounds the output a provider
 * can report (see {@link UsageBounds}).
 */
public record Estimate(ModelPrice price, long inputTokens, long outputCeiling, long claimMicros, String pricingVersion,
                       int choices) {

    /** µUSD for the input estimate plus {@code outputTokens}: what a call cut short has cost so far. */
    public long partialCostMicros(long outputTokens) {
        return price.costMicros(new Usage(inputTokens, 0, 0, outputTokens));
    }
}
