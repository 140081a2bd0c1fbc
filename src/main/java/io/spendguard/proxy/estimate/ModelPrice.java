package io.spendguard.proxy.estimate;

import io.spendguard.proxy.engine.Money;
import java.math.BigDecimal;

/**
 * One row of the price table. Prices are USD per million tokens, which is exactly µUSD per token,
 * so a cost in µUSD is tokens × price, rounded up.
 */
public record ModelPrice(String name, String provider, String encoding, BigDecimal input, BigDecimal cachedInput,
                         BigDecimal cacheWrite, BigDecimal output, int contextWindow, int maxOutputTokens) {

    /** µUSD for the given token counts, rounded up to a whole µUSD; saturates rather than overflowing. */
    public long costMicros(Usage usage) {
        BigDecimal total = input.multiply(BigDecimal.valueOf(usage.uncachedInput()))
                .add(cachedInput.multiply(BigDecimal.valueOf(usage.cacheRead())))
                .add(cacheWrite.multiply(BigDecimal.valueOf(usage.cacheWrite())))
                .add(output.multiply(BigDecimal.valueOf(usage.output())));
        return Money.ceilMicros(total);
    }
}
