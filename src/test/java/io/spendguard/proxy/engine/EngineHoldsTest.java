package io.spendguard.proxy.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.ledger.Ledger.Expired;
import io.spendguard.proxy.ledger.memory.MemoryLedger;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A hold the engine grants counts as forwarded from its grant, in the reservation's own write (the
 * proxy sends an admitted call at once): one that is never settled — its process died — is committed
 * at its TTL, never released, so a call that may have reached the provider is never lost.
 */
class EngineHoldsTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-29T10:00:00Z"));
    private final MemoryLedger ledger = new MemoryLedger(clock);
    private final Engine engine = new Engine(ledger, new Approvals(clock, Duration.ofHours(1)), clock, Duration.ofMinutes(5));

    @Test
    void aGrantedHoldNeverSettledIsCommittedAtItsTtl() throws Exception {
        engine.putBudget(new BudgetSpec("b", 10_000, "none", "UTC", null, true)).await(5, TimeUnit.SECONDS);
        Decision d = engine.decide(new DecisionRequest("d-1", null, 700, "gpt-4o", "h", null, null, null, 10, 10, "p", false))
                .await(5, TimeUnit.SECONDS);
        assertThat(d.outcome()).isEqualTo(Outcome.CONTINUE);

        clock.advance(Duration.ofMinutes(5));
        assertThat(ledger.sweep(clock.instant()).await(5, TimeUnit.SECONDS))
                .extracting(Expired::reservationId, Expired::committed).containsExactly(tuple(d.reservationId(), true));
        assertThat(ledger.budget("b").await(5, TimeUnit.SECONDS).committedMicros()).isEqualTo(700);
    }
}
