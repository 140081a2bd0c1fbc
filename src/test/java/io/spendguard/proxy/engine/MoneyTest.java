package io.spendguard.proxy.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/** Amounts never wrap: sums saturate, differences floor at zero, costs are clamped whole µUSD. */
class MoneyTest {

    @Test
    void sumsSaturateAtTheLargestAmountInsteadOfWrapping() {
        assertThat(Money.add(2, 3)).isEqualTo(5);
        assertThat(Money.add(Long.MAX_VALUE, 1)).isEqualTo(Long.MAX_VALUE);
        assertThat(Money.add(Long.MAX_VALUE, Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
        assertThat(Money.add(Long.MAX_VALUE - 5, 5)).isEqualTo(Long.MAX_VALUE);
        assertThat(Money.add(Long.MIN_VALUE, -1)).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void differencesNeverGoBelowZero() {
        assertThat(Money.less(10, 3)).isEqualTo(7);
        assertThat(Money.less(3, 10)).isZero();
        assertThat(Money.less(0, Long.MAX_VALUE)).isZero();
        assertThat(Money.less(Long.MAX_VALUE, -1)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void remainingIsNeverNegativeOrWrapped() {
        assertThat(Money.remaining(1000, 300, 200)).isEqualTo(500);
        assertThat(Money.remaining(1000, 0, 2000)).isZero();
        assertThat(Money.remaining(0, 2, Long.MAX_VALUE)).as("0 - 2 - MAX would wrap to MAX").isZero();
        assertThat(Money.remaining(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE)).isZero();
        assertThat(Money.remaining(Long.MAX_VALUE, 0, 0)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aHoldFitsOnlyWithinTheLimitWhateverTheMagnitudes() {
        assertThat(Money.fits(1000, 400, 600, 0)).isTrue();
        assertThat(Money.fits(1000, 400, 500, 100)).isTrue();
        assertThat(Money.fits(1000, 400, 500, 101)).isFalse();
        assertThat(Money.fits(1000, 0, 1001, 0)).as("over the limit already").isFalse();
        assertThat(Money.fits(1_000_000, 0, Long.MAX_VALUE, 960_002)).isFalse();
        assertThat(Money.fits(Long.MAX_VALUE, Long.MAX_VALUE - 10, 0, 10)).isTrue();
        assertThat(Money.fits(Long.MAX_VALUE, Long.MAX_VALUE - 10, 0, 11)).isFalse();
        assertThat(Money.fits(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, 1)).isFalse();
    }

    @Test
    void costsRoundUpAndClampToTheAmountRange() {
        assertThat(Money.ceilMicros(new BigDecimal("10.01"))).isEqualTo(11);
        assertThat(Money.ceilMicros(new BigDecimal("-5"))).isZero();
        assertThat(Money.ceilMicros(new BigDecimal("1e30"))).isEqualTo(Long.MAX_VALUE);
        assertThat(Money.ceilMicros(BigDecimal.valueOf(Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE);
    }
}
