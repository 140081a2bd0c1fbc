package io.spendguard.proxy.estimate;

import io.spendguard.proxy.config.Provider;
import io.spendguard.proxy.engine.Money;
import java.math.BigDecimal;

/**
 * One row of the price table. Prices are USD per million tokens, which is exactly µUSD per token,
 * so a cost in µUSD is tokens × price, rounded up.
 */
public record ModelPrice(String name, Provider provider, String encoding, BigDecimal input, BigDecimal cachedInput,
                         BigDecimal cacheWrite, BigDecimal output, int contextWindow, int maxOutputTokens) {

    /**
     * µUSD for the given token counts, rounded up to a whole µUSD. The sum is exact, then held to
     * {@code [0, Long.MAX_VALUE]}: no count can make a cost wrap around or go negative (a negative
     * count adds nothing).
     */
    public long costMicros(Usage usage) {
        BigDecimal total = input.multiply(tokens(usage.uncachedInput()))
                .add(cachedInput.multiply(tokens(usage.cacheRead())))
                .add(cacheWrite.multiply(tokens(usage.cacheWrite())))
                .add(output.multiply(tokens(usage.output())));
        return Money.ceilMicros(total);
    }

    private static BigDecimal tokens(long count) {
        return BigDecimal.valueOf(Math.max(0, count));
    }
}
