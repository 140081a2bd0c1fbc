package io.spendguard.proxy.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.ledger.memory.MemoryLedger;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A budget's {@code degrade_to}: below the threshold the engine proposes the cheaper model, and holds nothing until asked again. */
class EngineDegradeTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-29T10:00:00Z"));
    private final MemoryLedger ledger = new MemoryLedger(clock);
    private final Engine engine = new Engine(ledger, new Approvals(clock, Duration.ofHours(1)), clock, Duration.ofMinutes(5));

    private void budget(long limit, long below) throws Exception {
        engine.putBudget(new BudgetSpec("b", limit, "none", "UTC", null, true, new BudgetSpec.DegradeTo("gpt-4o-mini", below)))
                .await(5, TimeUnit.SECONDS);
    }

    private static DecisionRequest call(String model, long claim) {
        return new DecisionRequest("d-1", null, claim, model, "h", null, null, null, 10, 10, "p", false);
    }

    private Decision decide(DecisionRequest r) throws Exception {
        return engine.decide(r).await(5, TimeUnit.SECONDS);
    }

    @Test
    void proposesTheCheaperModelBelowTheThresholdWithoutHoldingAnything() throws Exception {
        budget(1_000, 2_000);

        Decision d = decide(call("gpt-4o", 5_000));

        assertThat(d.outcome()).isEqualTo(Outcome.DEGRADE);
        assertThat(d.isProposal()).isTrue();
        assertThat(d.mutation()).isEqualTo(new Mutation("gpt-4o-mini", null, null));
        assertThat(d.reasonCodes()).containsExactly(Engine.DEGRADED_BELOW_REMAINING);
        assertThat(ledger.budget("b").await(5, TimeUnit.SECONDS).reservedMicros()).isZero();
    }

    @Test
    void theChangedCallIsDecidedOnItsOwnClaim() throws Exception {
        budget(1_000, 2_000);

        Decision fits = decide(call("gpt-4o", 5_000).mutated("gpt-4o-mini", 400, 10, 10));
        Decision tooBig = decide(call("gpt-4o", 5_000).mutated("gpt-4o-mini", 900, 10, 10));

        assertThat(fits.outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(fits.reservedMicros()).isEqualTo(400);
        assertThat(tooBig.outcome()).isEqualTo(Outcome.STOP);
        Decision proposal = decide(call("gpt-4o", 5_000));
        Decision degraded = fits.degradedBy(proposal);
        assertThat(degraded.outcome()).isEqualTo(Outcome.DEGRADE);
        assertThat(degraded.mutation()).isEqualTo(new Mutation("gpt-4o-mini", null, null));
        assertThat(degraded.matchedRuleIds()).containsExactly(Engine.RULE_DEGRADE_TO);
        assertThat(degraded.reservationId()).isEqualTo(fits.reservationId());
    }

    @Test
    void aboveTheThresholdOrAlreadyOnTheCheaperModelNothingChanges() throws Exception {
        budget(10_000, 2_000);
        assertThat(decide(call("gpt-4o", 100)).outcome()).isEqualTo(Outcome.CONTINUE);

        budget(1_000, 2_000);
        assertThat(decide(call("gpt-4o-mini", 100)).outcome()).isEqualTo(Outcome.CONTINUE);
    }
}
