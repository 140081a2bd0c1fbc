package io.spendguard.proxy.estimate;

import io.spendguard.proxy.engine.Money;

/**
 * What usage a provider can sensibly report for one call, so that a reply claiming
 * {@code Long.MAX_VALUE} tokens, a negative count or 1.5 tokens is never billed as it stands: the call
 * is then settled as one without usage (its reservation committed) and counted.
 *
 * <p>The bounds are generous on purpose — a real overrun (usage above the claim) is still billed in
 * full: the input of every kind may not pass the model's context window plus four times the input the
 * proxy counted (an embeddings call sums many inputs, and counts differ between tokenizers); the
 * output may not pass the larger of the model's context window and max output, once per choice
 * ({@code n}); no count may pass {@link #MAX_TOKENS}.
 */
public final class UsageBounds {
    /** No single count is believed above this, whatever the price table says. */
    public static final long MAX_TOKENS = 1_000_000_000L;

    private UsageBounds() { }

    /** Why {@code usage} cannot be billed for the call {@code estimate} claimed: {@code invalid}, {@code out_of_range}, or null when it can. */
    public static String problem(Usage usage, Estimate estimate) {
        if (!usage.readable()) {
            return "invalid";
        }
        if (usage.uncachedInput() > MAX_TOKENS || usage.cacheRead() > MAX_TOKENS || usage.cacheWrite() > MAX_TOKENS
                || usage.output() > MAX_TOKENS) {
            return "out_of_range";
        }
        ModelPrice price = estimate.price();
        long input = Money.add(price.contextWindow(), Money.times(4, estimate.inputTokens()));
        long output = Money.times(Math.max(price.contextWindow(), price.maxOutputTokens()), Math.max(1, estimate.choices()));
        return usage.totalInput() > input || usage.output() > output ? "out_of_range" : null;
    }
}
