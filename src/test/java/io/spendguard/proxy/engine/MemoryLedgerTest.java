package io.spendguard.proxy.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.engine.Ledger.Hold;
import io.spendguard.proxy.engine.Ledger.Settled;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MemoryLedgerTest {
    private static final Instant NOON = Instant.parse("2024-03-15T12:00:00Z");
    private static final Instant EXPIRES = NOON.plusSeconds(600);

    private MutableClock clock;
    private MemoryLedger ledger;

    @BeforeEach
    void setUp() {
        clock = new MutableClock(NOON);
        ledger = new MemoryLedger(clock);
    }

    private BudgetState put(String id, long limit, String window) {
        return ledger.putBudget(new BudgetSpec(id, limit, window, "UTC", null, false)).result();
    }

    private Hold reserve(String budget, String reservation, long amount) {
        Future<Hold> f = ledger.reserve(budget, reservation, amount, EXPIRES);
        assertThat(f.succeeded()).as("reserve %s", reservation).isTrue();
        return f.result();
    }

    private static LedgerException.Kind failureKind(Future<?> f) {
        assertThat(f.failed()).isTrue();
        assertThat(f.cause()).isInstanceOf(LedgerException.class);
        return ((LedgerException) f.cause()).kind();
    }

    @Test
    void newBudgetStartsEmptyInItsCurrentWindow() {
        BudgetState s = put("b", 1000, "daily");

        assertThat(s.reservedMicros()).isZero();
        assertThat(s.committedMicros()).isZero();
        assertThat(s.remainingMicros()).isEqualTo(1000);
        assertThat(s.window().start()).isEqualTo(Instant.parse("2024-03-15T00:00:00Z"));
        assertThat(s.window().end()).isEqualTo(Instant.parse("2024-03-16T00:00:00Z"));
    }

    @Test
    void reserveSucceedsWhileTotalStaysWithinLimit() {
        put("b", 1000, "none");

        Hold first = reserve("b", "r1", 600);
        Hold exact = reserve("b", "r2", 400);

        assertThat(first.granted()).isTrue();
        assertThat(first.budget().reservedMicros()).isEqualTo(600);
        assertThat(exact.granted()).as("committed+reserved+amount == limit fits").isTrue();
        assertThat(exact.budget().reservedMicros()).isEqualTo(1000);
        assertThat(exact.budget().remainingMicros()).isZero();
    }

    @Test
    void reserveIsRefusedWhenOneMicroOverLimit() {
        put("b", 1000, "none");
        reserve("b", "r1", 600);

        Hold refused = reserve("b", "r2", 401);

        assertThat(refused.granted()).isFalse();
        assertThat(refused.budget().reservedMicros()).as("a refused hold takes nothing").isEqualTo(600);
        assertThat(reserve("b", "r3", 400).granted()).isTrue();
    }

    @Test
    void committedSpendCountsAgainstLaterReservations() {
        put("b", 1000, "none");
        reserve("b", "r1", 500);
        ledger.commit("r1", 700).result();

        assertThat(reserve("b", "r2", 301).granted()).isFalse();
        assertThat(reserve("b", "r3", 300).granted()).isTrue();
    }

    @Test
    void refusedReservationIsNotHeld() {
        put("b", 10, "none");
        reserve("b", "r1", 11);

        assertThat(failureKind(ledger.commit("r1", 5))).isEqualTo(LedgerException.Kind.RESERVATION_STATE_CONFLICT);
    }

    @Test
    void commitBelowHoldSpendsAmountAndReleasesTheRest() {
        put("b", 1000, "none");
        reserve("b", "r1", 400);

        Settled s = ledger.commit("r1", 150).result();

        assertThat(s.reservationId()).isEqualTo("r1");
        assertThat(s.heldMicros()).isEqualTo(400);
        assertThat(s.committedMicros()).isEqualTo(150);
        assertThat(s.overrunMicros()).isZero();
        assertThat(s.releasedMicros()).isEqualTo(250);
        assertThat(s.budget().reservedMicros()).isZero();
        assertThat(s.budget().committedMicros()).isEqualTo(150);
        assertThat(s.budget().remainingMicros()).isEqualTo(850);
    }

    @Test
    void commitAboveHoldRecordsOverrun() {
        put("b", 1000, "none");
        reserve("b", "r1", 100);

        Settled s = ledger.commit("r1", 160).result();

        assertThat(s.committedMicros()).isEqualTo(160);
        assertThat(s.overrunMicros()).isEqualTo(60);
        assertThat(s.releasedMicros()).isZero();
        assertThat(s.budget().committedMicros()).isEqualTo(160);
        assertThat(s.budget().reservedMicros()).isZero();
    }

    @Test
    void overrunMayPushSpendPastLimitAndRemainingFloorsAtZero() {
        put("b", 100, "none");
        reserve("b", "r1", 100);

        Settled s = ledger.commit("r1", 250).result();

        assertThat(s.budget().committedMicros()).isEqualTo(250);
        assertThat(s.budget().remainingMicros()).isZero();
        assertThat(reserve("b", "r2", 0).granted()).as("even a zero hold is refused once over the limit").isFalse();
    }

    @Test
    void negativeCommitIsTreatedAsZero() {
        put("b", 1000, "none");
        reserve("b", "r1", 100);

        Settled s = ledger.commit("r1", -5).result();

        assertThat(s.committedMicros()).isZero();
        assertThat(s.budget().committedMicros()).isZero();
    }

    @Test
    void releaseFreesHoldWithoutSpending() {
        put("b", 1000, "none");
        reserve("b", "r1", 700);

        Settled s = ledger.release("r1").result();

        assertThat(s.heldMicros()).isEqualTo(700);
        assertThat(s.committedMicros()).isZero();
        assertThat(s.releasedMicros()).isEqualTo(700);
        assertThat(s.budget().reservedMicros()).isZero();
        assertThat(s.budget().committedMicros()).isZero();
        assertThat(reserve("b", "r2", 1000).granted()).isTrue();
    }

    @Test
    void secondCommitOfSameReservationConflicts() {
        put("b", 1000, "none");
        reserve("b", "r1", 100);
        ledger.commit("r1", 100).result();

        Future<Settled> again = ledger.commit("r1", 100);

        assertThat(failureKind(again)).isEqualTo(LedgerException.Kind.RESERVATION_STATE_CONFLICT);
        assertThat(ledger.budget("b").result().committedMicros()).as("not charged twice").isEqualTo(100);
    }

    @Test
    void releaseAfterCommitConflicts() {
        put("b", 1000, "none");
        reserve("b", "r1", 100);
        ledger.commit("r1", 80).result();

        assertThat(failureKind(ledger.release("r1"))).isEqualTo(LedgerException.Kind.RESERVATION_STATE_CONFLICT);
        assertThat(ledger.budget("b").result().committedMicros()).isEqualTo(80);
    }

    @Test
    void secondReleaseAndCommitAfterReleaseConflict() {
        put("b", 1000, "none");
        reserve("b", "r1", 100);
        ledger.release("r1").result();

        assertThat(failureKind(ledger.release("r1"))).isEqualTo(LedgerException.Kind.RESERVATION_STATE_CONFLICT);
        assertThat(failureKind(ledger.commit("r1", 10))).isEqualTo(LedgerException.Kind.RESERVATION_STATE_CONFLICT);
        assertThat(ledger.budget("b").result().committedMicros()).isZero();
    }

    @Test
    void unknownReservationConflicts() {
        assertThat(failureKind(ledger.commit("never", 1))).isEqualTo(LedgerException.Kind.RESERVATION_STATE_CONFLICT);
    }

    @Test
    void reservingAgainstUnknownBudgetFails() {
        assertThat(failureKind(ledger.reserve("ghost", "r1", 1, EXPIRES))).isEqualTo(LedgerException.Kind.UNKNOWN_BUDGET);
        assertThat(failureKind(ledger.budget("ghost"))).isEqualTo(LedgerException.Kind.UNKNOWN_BUDGET);
    }

    @Test
    void reusingReservationIdFails() {
        put("b", 1000, "none");
        reserve("b", "r1", 100);

        assertThat(failureKind(ledger.reserve("b", "r1", 100, EXPIRES))).isEqualTo(LedgerException.Kind.DUPLICATE_RESERVATION);
        assertThat(ledger.budget("b").result().reservedMicros()).isEqualTo(100);
    }

    @Test
    void spendResetsWhenClockCrossesWindowEnd() {
        put("b", 1000, "daily");
        reserve("b", "r1", 800);
        ledger.commit("r1", 800).result();
        assertThat(reserve("b", "r2", 300).granted()).isFalse();

        clock.set(Instant.parse("2024-03-15T23:59:59.999Z"));
        assertThat(ledger.budget("b").result().committedMicros()).as("still the same day").isEqualTo(800);

        clock.set(Instant.parse("2024-03-16T00:00:00Z"));
        BudgetState next = ledger.budget("b").result();
        assertThat(next.committedMicros()).isZero();
        assertThat(next.window().start()).isEqualTo(Instant.parse("2024-03-16T00:00:00Z"));
        assertThat(next.window().end()).isEqualTo(Instant.parse("2024-03-17T00:00:00Z"));
        assertThat(reserve("b", "r3", 1000).granted()).isTrue();
    }

    @Test
    void reserveRollsTheWindowItself() {
        put("b", 1000, "monthly");
        reserve("b", "r1", 1000);
        ledger.commit("r1", 1000).result();

        clock.advance(Duration.ofDays(30)); // 2024-04-14

        assertThat(reserve("b", "r2", 1000).granted()).isTrue();
    }

    @Test
    void openHoldsSurviveTheWindowRollover() {
        put("b", 1000, "daily");
        reserve("b", "r1", 300);

        clock.advance(Duration.ofDays(1));

        assertThat(ledger.budget("b").result().reservedMicros()).isEqualTo(300);
        Settled s = ledger.commit("r1", 200).result();
        assertThat(s.budget().reservedMicros()).isZero();
        assertThat(s.budget().committedMicros()).isEqualTo(200);
    }

    @Test
    void windowNoneNeverResets() {
        put("b", 1000, "none");
        reserve("b", "r1", 500);
        ledger.commit("r1", 500).result();

        clock.advance(Duration.ofDays(400));

        assertThat(ledger.budget("b").result().committedMicros()).isEqualTo(500);
    }

    @Test
    void windowFollowsBudgetTimezone() {
        // 20:00Z on the 15th is already the 16th in Tokyo (UTC+9), where the day ends at 15:00Z on the 16th
        clock.set(Instant.parse("2024-03-15T20:00:00Z"));
        ledger.putBudget(new BudgetSpec("tokyo", 1000, "daily", "Asia/Tokyo", null, false)).result();
        reserve("tokyo", "r1", 1000);
        ledger.commit("r1", 1000).result();

        clock.set(Instant.parse("2024-03-16T14:59:59Z"));
        assertThat(ledger.budget("tokyo").result().committedMicros()).isEqualTo(1000);
        clock.set(Instant.parse("2024-03-16T15:00:00Z"));
        assertThat(ledger.budget("tokyo").result().committedMicros()).isZero();
    }

    @Test
    void putBudgetReplacesDefinitionAndKeepsSpend() {
        put("b", 1000, "daily");
        reserve("b", "r1", 400);
        ledger.commit("r1", 400).result();

        BudgetState raised = put("b", 5000, "daily");

        assertThat(raised.spec().limitMicros()).isEqualTo(5000);
        assertThat(raised.committedMicros()).isEqualTo(400);
        assertThat(raised.remainingMicros()).isEqualTo(4600);
    }

    @Test
    void budgetsAreListedById() {
        put("zeta", 1, "none");
        put("alpha", 1, "none");
        put("mid", 1, "none");

        assertThat(ledger.budgets().result()).extracting(s -> s.spec().id()).containsExactly("alpha", "mid", "zeta");
    }
}
