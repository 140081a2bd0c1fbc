package io.spendguard.proxy.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.spendguard.proxy.config.Provider;
import io.spendguard.proxy.config.ProxyConfig.EstimationConfig;
import io.spendguard.proxy.config.ProxyConfig.HiddenCosts;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EstimatorTest {
    private static final TokenCounter TOKENS = new TokenCounter();

    /** gpt-4o-like: $2.50 in, $1.25 cached, $3.75 cache write, $10 out per 1M tokens (= µUSD per token). */
    private static ModelPrice price(int contextWindow, int maxOutput) {
        return new ModelPrice("m", Provider.OPENAI, "o200k_base", new BigDecimal("2.50"), new BigDecimal("1.25"),
                new BigDecimal("3.75"), new BigDecimal("10.00"), contextWindow, maxOutput);
    }

    private static Estimator estimator(ModelPrice price, int defaultMaxOutput) {
        return new Estimator(new PriceTable("v-test", Map.of(price.name(), price), null), TOKENS,
                new EstimationConfig(defaultMaxOutput, false));
    }

    private static CallSpec spec(String model, Integer maxOutput, int choices, boolean billsOutput) {
        // "hello world" is 2 o200k tokens; framing 10 and images 5 → 17 input tokens.
        return new CallSpec(model, false, List.of("hello world"), 10, 5, maxOutput, choices, billsOutput);
    }

    @Test
    void costIsRoundedUpToWholeMicroDollars() {
        ModelPrice p = price(128_000, 16_384);

        assertThat(p.costMicros(new Usage(1, 0, 0, 0))).as("2.5 µUSD → 3").isEqualTo(3);
        assertThat(p.costMicros(new Usage(3, 0, 0, 0))).as("7.5 µUSD → 8").isEqualTo(8);
        assertThat(p.costMicros(new Usage(2, 0, 0, 0))).as("exact stays exact").isEqualTo(5);
        assertThat(p.costMicros(Usage.NONE)).isZero();
    }

    @Test
    void aCostTooLargeForAnAmountSaturatesInsteadOfFailing() {
        ModelPrice p = price(128_000, 16_384);

        assertThat(p.costMicros(new Usage(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE);
        assertThat(p.costMicros(new Usage(0, 0, 0, -1000))).as("never a negative cost").isZero();
    }

    @Test
    void tinyFractionStillRoundsUpToOneMicroDollar() {
        ModelPrice cheap = new ModelPrice("c", Provider.OPENAI, "o200k_base", new BigDecimal("0.000001"), BigDecimal.ZERO,
                BigDecimal.ZERO, BigDecimal.ZERO, 1000, 100);

        assertThat(cheap.costMicros(new Usage(1, 0, 0, 0))).isEqualTo(1);
    }

    @Test
    void cachedInputAndCacheWritesArePricedAtTheirOwnPrices() {
        ModelPrice p = price(128_000, 16_384);

        assertThat(p.costMicros(new Usage(0, 1000, 0, 0))).isEqualTo(1_250);
        assertThat(p.costMicros(new Usage(0, 0, 1000, 0))).isEqualTo(3_750);
        assertThat(p.costMicros(new Usage(0, 0, 0, 1000))).isEqualTo(10_000);
        assertThat(p.costMicros(new Usage(1000, 1000, 1000, 1000)))
                .isEqualTo(2_500 + 1_250 + 3_750 + 10_000);
        // 1×2.5 + 1×1.25 + 1×3.75 + 1×10 = 17.5 → 18: rounding is applied once, to the sum
        assertThat(p.costMicros(new Usage(1, 1, 1, 1))).isEqualTo(18);
    }

    @Test
    void explicitMaxTokensIsTheOutputCeiling() {
        Estimate e = estimator(price(128_000, 16_384), 4096).estimate(spec("m", 100, 1, true));

        assertThat(e.inputTokens()).isEqualTo(17);
        assertThat(e.outputCeiling()).isEqualTo(100);
        // 17 × 2.5 + 100 × 10 = 1042.5 → 1043
        assertThat(e.claimMicros()).isEqualTo(1043);
        assertThat(e.pricingVersion()).isEqualTo("v-test");
        assertThat(e.price().name()).isEqualTo("m");
    }

    @Test
    void explicitMaxTokensAboveConfiguredDefaultIsKept() {
        Estimate e = estimator(price(128_000, 16_384), 256).estimate(spec("m", 8000, 1, true));

        assertThat(e.outputCeiling()).isEqualTo(8000);
    }

    @Test
    void withoutMaxTokensCeilingIsConfiguredDefault() {
        Estimate e = estimator(price(128_000, 16_384), 4096).estimate(spec("m", null, 1, true));

        assertThat(e.outputCeiling()).isEqualTo(4096);
    }

    @Test
    void withoutMaxTokensCeilingIsModelMaxWhenSmallerThanDefault() {
        Estimate e = estimator(price(128_000, 1000), 4096).estimate(spec("m", null, 1, true));

        assertThat(e.outputCeiling()).isEqualTo(1000);
    }

    @Test
    void explicitMaxTokensIsCappedAtModelMaxOutput() {
        Estimate e = estimator(price(128_000, 1000), 4096).estimate(spec("m", 50_000, 1, true));

        assertThat(e.outputCeiling()).isEqualTo(1000);
    }

    @Test
    void ceilingNeverExceedsContextWindowLeft() {
        Estimate e = estimator(price(100, 4096), 4096).estimate(spec("m", 500, 1, true));

        assertThat(e.inputTokens()).isEqualTo(17);
        assertThat(e.outputCeiling()).isEqualTo(100 - 17);
    }

    @Test
    void ceilingIsZeroWhenInputFillsContextWindow() {
        Estimate e = estimator(price(10, 4096), 4096).estimate(spec("m", 500, 2, true));

        assertThat(e.outputCeiling()).isZero();
        assertThat(e.claimMicros()).isEqualTo(43); // 17 × 2.5 = 42.5 → 43
    }

    @Test
    void ceilingIsMultipliedByChoices() {
        Estimate e = estimator(price(128_000, 16_384), 4096).estimate(spec("m", 100, 3, true));

        assertThat(e.outputCeiling()).isEqualTo(300);
        assertThat(e.claimMicros()).isEqualTo(3043); // 42.5 + 3000 → 3043
    }

    @Test
    void embeddingsLikeSpecHasNoOutputCeiling() {
        Estimate e = estimator(price(128_000, 16_384), 4096).estimate(spec("m", 100, 3, false));

        assertThat(e.outputCeiling()).isZero();
        assertThat(e.claimMicros()).isEqualTo(43);
    }

    @Test
    void inputCountsEveryTextWithTheModelEncoding() {
        CallSpec twoTexts = new CallSpec("m", false, List.of("hello world", "hello world", ""), 0, 0, 1, 1, true);

        Estimate e = estimator(price(128_000, 16_384), 4096).estimate(twoTexts);

        assertThat(e.inputTokens()).isEqualTo(4);
    }

    @Test
    void datedSnapshotIsPricedThroughPrefix() {
        Estimate e = estimator(price(128_000, 16_384), 4096).estimate(spec("m-2024-08-06", 1, 1, true));

        assertThat(e.price().name()).isEqualTo("m");
    }

    @Test
    void unpricedModelIsRefusedWithUnpricedModelError() {
        ProxyException ex = catchThrowableOfType(ProxyException.class,
                () -> estimator(price(128_000, 16_384), 4096).estimate(spec("nope", 1, 1, true)));

        assertThat(ex).isNotNull();
        assertThat(ex.error()).isEqualTo(ProxyError.UNPRICED_MODEL);
        assertThat(ex.code()).isEqualTo("unpriced_model");
        assertThat(ex.param()).isEqualTo("model");
        assertThat(ex.getMessage()).contains("'nope'");
    }

    @Test
    void partialCostPricesInputPlusOutputSoFar() {
        Estimate e = estimator(price(128_000, 16_384), 4096).estimate(spec("m", 100, 1, true));

        assertThat(e.partialCostMicros(0)).isEqualTo(43);
        assertThat(e.partialCostMicros(7)).isEqualTo(113); // 42.5 + 70 → 113
    }

    @Test
    void textsBeyondTheRequestsCountingBudgetAreBoundedByTheirBytes() {
        ModelPrice p = price(1_000_000, 100);
        Estimator budgeted = new Estimator(new PriceTable("v-test", Map.of(p.name(), p), null), TOKENS,
                new EstimationConfig(100, false), 30);
        String first = "hello world hello world";   // 23 chars, within the budget of 30: 4 tokens by BPE
        String second = "hello world";              // would pass the budget: its 11 bytes
        CallSpec spec = new CallSpec("m", false, List.of(first, second), 0, 0, 1, 1, true);

        assertThat(budgeted.estimate(spec).inputTokens()).isEqualTo(4 + 11);
        assertThat(estimator(p, 100).estimate(spec).inputTokens()).as("unbudgeted: exact").isEqualTo(6);
    }

    @Test
    void reservesTheConfiguredAmountForEachCostTheBodyDoesNotShow() {
        ModelPrice p = price(1_000_000, 100);   // $2.50 in, $10 out per 1M tokens
        Estimator e = new Estimator(new PriceTable("v-test", Map.of(p.name(), p), null), TOKENS,
                new EstimationConfig(10, false, new HiddenCosts(1_000, 200, 3_000, 400, 50_000)));
        long base = claim(e, 10, HiddenInput.NONE);   // 2 input tokens, 10 output: 5 + 100

        assertThat(claim(e, 10, new HiddenInput(true, false, 0, 0, false)) - base).as("stored conversation: 1,000 × 2.5").isEqualTo(2_500);
        assertThat(claim(e, 10, new HiddenInput(false, true, 0, 0, false)) - base).as("stored prompt: 200 × 2.5").isEqualTo(500);
        assertThat(claim(e, 10, new HiddenInput(false, false, 2, 0, false)) - base).as("2 files: 6,000 × 2.5").isEqualTo(15_000);
        assertThat(claim(e, 10, new HiddenInput(false, false, 0, 3, false)) - base).as("3 hosted tools: 3 × (400 × 2.5 + 50,000)")
                .isEqualTo(153_000);
        assertThat(claim(e, 10, new HiddenInput(false, false, 0, 0, true)) - base).as("background with a limit of its own").isZero();
        assertThat(claim(e, null, new HiddenInput(false, false, 0, 0, true)) - claim(e, null, HiddenInput.NONE))
                .as("background without one: the model's 100 output tokens, not the default 10: 90 × 10").isEqualTo(900);
        assertThat(e.estimate(new CallSpec("m", false, List.of("hello world"), 0, 0, 10, 1, true,
                new HiddenInput(true, false, 0, 0, false))).inputTokens()).isEqualTo(1_002);
    }

    private static long claim(Estimator e, Integer maxOutput, HiddenInput hidden) {
        return e.estimate(new CallSpec("m", false, List.of("hello world"), 0, 0, maxOutput, 1, true, hidden)).claimMicros();
    }
}
