package io.spendguard.proxy.estimate;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.ProxyHarness;
import io.spendguard.proxy.config.Provider;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/** Usage no call can have is never billed, and no usage can make a cost wrap around or go negative. */
class UsageBoundsTest {
    private static final ModelPrice GPT = ProxyHarness.PRICES.lookup("gpt-test");  // context 100,000, max output 1,000

    private static Estimate estimate(long input, int choices) {
        return new Estimate(GPT, input, 50L * choices, GPT.costMicros(new Usage(input, 0, 0, 50L * choices)), "test", choices);
    }

    @Test
    void acceptsUsageAnyRealCallCanHaveIncludingAnOverrun() {
        Estimate e = estimate(1_000, 1);
        assertThat(UsageBounds.problem(new Usage(900, 100, 0, 12), e)).isNull();
        assertThat(UsageBounds.problem(new Usage(1_200, 0, 0, 5_000), e)).as("above the claim: an overrun, billed in full").isNull();
        assertThat(UsageBounds.problem(new Usage(100_000, 0, 0, 100_000), e)).as("the whole context window").isNull();
        assertThat(UsageBounds.problem(Usage.NONE, e)).isNull();
    }

    @Test
    void refusesCountsThatAreNotWholeNonNegativeNumbers() {
        Estimate e = estimate(1_000, 1);
        assertThat(UsageBounds.problem(new Usage(Usage.UNREADABLE, 0, 0, 3), e)).isEqualTo("invalid");
        assertThat(UsageBounds.problem(new Usage(10, 0, 0, -5), e)).isEqualTo("invalid");
        assertThat(UsageBounds.problem(new Usage(10, Long.MIN_VALUE, 0, 5), e)).isEqualTo("invalid");
    }

    @Test
    void refusesCountsPastWhatTheModelCanProduce() {
        Estimate e = estimate(1_000, 1);
        assertThat(UsageBounds.problem(new Usage(Long.MAX_VALUE, 0, 0, 3), e)).isEqualTo("out_of_range");
        assertThat(UsageBounds.problem(new Usage(10, 0, 0, Long.MAX_VALUE), e)).isEqualTo("out_of_range");
        assertThat(UsageBounds.problem(new Usage(Long.MAX_VALUE / 2, Long.MAX_VALUE / 2, Long.MAX_VALUE / 2, 1), e))
                .as("a sum that would wrap").isEqualTo("out_of_range");
        assertThat(UsageBounds.problem(new Usage(104_001, 0, 0, 3), e)).as("past context + 4 × counted input").isEqualTo("out_of_range");
        assertThat(UsageBounds.problem(new Usage(10, 0, 0, 100_001), e)).as("past the context window for one choice").isEqualTo("out_of_range");
    }

    @Test
    void theOutputBoundGrowsWithTheNumberOfChoices() {
        assertThat(UsageBounds.problem(new Usage(10, 0, 0, 400_000), estimate(1_000, 4))).isNull();
        assertThat(UsageBounds.problem(new Usage(10, 0, 0, 400_001), estimate(1_000, 4))).isEqualTo("out_of_range");
    }

    @Test
    void costsNeverWrapAroundNorGoNegative() {
        ModelPrice dear = new ModelPrice("dear", Provider.OPENAI, "estimate", new BigDecimal("1000"), new BigDecimal("1000"),
                new BigDecimal("1000"), new BigDecimal("1000"), 100_000, 1_000);
        assertThat(dear.costMicros(new Usage(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE);
        assertThat(GPT.costMicros(new Usage(Long.MAX_VALUE, 0, 0, 0))).isEqualTo(Long.MAX_VALUE);
        assertThat(GPT.costMicros(new Usage(-5, -1, 0, -7))).isZero();
        assertThat(GPT.costMicros(new Usage(10, 0, 0, 3))).isEqualTo(16);
        assertThat(new Usage(Long.MAX_VALUE, Long.MAX_VALUE, 1, 0).totalInput()).isEqualTo(Long.MAX_VALUE);
    }
}
