package io.spendguard.proxy.engine;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Arithmetic on µUSD amounts (and the token counts they are priced from) that never wraps. Amounts are non-negative {@code long}s; a sum that
 * would pass {@link Long#MAX_VALUE} stays there (a budget whose spend saturates is simply spent), a
 * difference never goes below zero. Every ledger total, remaining amount and cost goes through here,
 * so a provider reporting absurd usage can exhaust a budget but never turn its spend negative.
 */
public final class Money {
    private static final BigDecimal MAX = BigDecimal.valueOf(Long.MAX_VALUE);

    private Money() {
    }

    /** {@code a + b}, saturating at {@link Long#MAX_VALUE} (and, for negative inputs, at {@link Long#MIN_VALUE}). */
    public static long add(long a, long b) {
        long sum = a + b;
        // overflow iff both operands have the sign the sum lacks
        if (((a ^ sum) & (b ^ sum)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return sum;
    }

    /** {@code count × each} for non-negative operands, saturating at {@link Long#MAX_VALUE}. */
    public static long times(long count, long each) {
        long high = Math.multiplyHigh(Math.max(0, count), Math.max(0, each));
        long product = Math.max(0, count) * Math.max(0, each);
        return high != 0 || product < 0 ? Long.MAX_VALUE : product;
    }

    /** {@code a - b}, never below zero (a total that loses more than it held is empty, not negative). */
    public static long less(long a, long b) {
        long diff = a - b;
        if (((a ^ b) & (a ^ diff)) < 0) {
            return a < 0 ? 0 : Long.MAX_VALUE;
        }
        return Math.max(0, diff);
    }

    /** What is left of {@code limit} after {@code reserved} and {@code committed}: never negative, never wrapped. */
    public static long remaining(long limit, long reserved, long committed) {
        long used = add(Math.max(0, reserved), Math.max(0, committed));
        return used >= limit ? 0 : limit - used;
    }

    /**
     * Whether a hold of {@code amount} fits: {@code committed + reserved + amount <= limit}, computed
     * without overflow (a saturated spend never fits anything but an empty hold within its limit).
     */
    public static boolean fits(long limit, long reserved, long committed, long amount) {
        long used = add(Math.max(0, reserved), Math.max(0, committed));
        return used <= limit && amount <= limit - used;
    }

    /** A cost in µUSD rounded up to a whole µUSD and clamped to {@code [0, Long.MAX_VALUE]}. */
    public static long ceilMicros(BigDecimal micros) {
        if (micros.signum() <= 0) {
            return 0;
        }
        BigDecimal whole = micros.setScale(0, RoundingMode.CEILING);
        return whole.compareTo(MAX) >= 0 ? Long.MAX_VALUE : whole.longValueExact();
    }
}
