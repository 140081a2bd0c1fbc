package io.spendguard.proxy.ledger;

import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.spendguard.proxy.ledger.Ledger.Expired;
import io.spendguard.proxy.ledger.Ledger.Hold;
import io.spendguard.proxy.ledger.Ledger.Settled;
import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.audit.AuditLog;
import io.spendguard.proxy.audit.AuditRecord;
import io.spendguard.proxy.audit.AuditVerifier;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.time.Duration;
import java.time.Instant;
import io.spendguard.proxy.ledger.Ledger.Reservation;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link Ledger} contract, run unchanged against every backend: each subclass opens its own
 * ledger on the injected clock.
 */
public abstract class LedgerContract {
    private static final Instant NOON = Instant.parse("2024-03-15T12:00:00Z");
    private static final Instant EXPIRES = NOON.plusSeconds(600);

    protected MutableClock clock;
    /** The audit chain every ledger a test opens signs with (reopened ledgers extend the same chain). */
    protected AuditChain chain;
    protected Ledger ledger;

    /** A fresh, empty ledger of the backend under test, reading time from {@code clock}. */
    protected abstract Ledger open(MutableClock clock) throws Exception;

    @BeforeEach
    void setUp() throws Exception {
        clock = new MutableClock(NOON);
        chain = AuditChain.ephemeral(clock);
        ledger = open(clock);
    }

    @AfterEach
    void closeLedger() throws Exception {
        if (ledger != null) {
            await(ledger.close());
        }
        closed();
    }

    /** Runs after the ledger is closed: what the backend's test set up around it goes here. */
    protected void closed() throws Exception {
    }

    protected static <T> T await(Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("ledger call failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    protected BudgetState put(String id, long limit, String window) {
        return await(ledger.putBudget(new BudgetSpec(id, limit, window, "UTC", null, false)));
    }

    protected Future<Hold> reserveAsync(String budget, String reservation, long amount) {
        return ledger.reserve(new Reservation(reservation, budget, amount, EXPIRES, false));
    }

    protected Hold reserve(String budget, String reservation, long amount) {
        return await(reserveAsync(budget, reservation, amount));
    }

    protected static LedgerException.Kind failureKind(Future<?> f) {
        try {
            f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(LedgerException.class);
            return ((LedgerException) e.getCause()).kind();
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected the ledger to refuse");
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
        await(ledger.commit("r1", 700));

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

        Settled s = await(ledger.commit("r1", 150));

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

        Settled s = await(ledger.commit("r1", 160));

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

        Settled s = await(ledger.commit("r1", 250));

        assertThat(s.budget().committedMicros()).isEqualTo(250);
        assertThat(s.budget().remainingMicros()).isZero();
        assertThat(reserve("b", "r2", 0).granted()).as("even a zero hold is refused once over the limit").isFalse();
    }

    @Test
    void negativeCommitIsTreatedAsZero() {
        put("b", 1000, "none");
        reserve("b", "r1", 100);

        Settled s = await(ledger.commit("r1", -5));

        assertThat(s.committedMicros()).isZero();
        assertThat(s.budget().committedMicros()).isZero();
    }

    @Test
    void releaseFreesHoldWithoutSpending() {
        put("b", 1000, "none");
        reserve("b", "r1", 700);

        Settled s = await(ledger.release("r1"));

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
        await(ledger.commit("r1", 100));

        Future<Settled> again = ledger.commit("r1", 100);

        assertThat(failureKind(again)).isEqualTo(LedgerException.Kind.RESERVATION_STATE_CONFLICT);
        assertThat(await(ledger.budget("b")).committedMicros()).as("not charged twice").isEqualTo(100);
    }

    @Test
    void releaseAfterCommitConflicts() {
        put("b", 1000, "none");
        reserve("b", "r1", 100);
        await(ledger.commit("r1", 80));

        assertThat(failureKind(ledger.release("r1"))).isEqualTo(LedgerException.Kind.RESERVATION_STATE_CONFLICT);
        assertThat(await(ledger.budget("b")).committedMicros()).isEqualTo(80);
    }

    @Test
    void secondReleaseAndCommitAfterReleaseConflict() {
        put("b", 1000, "none");
        reserve("b", "r1", 100);
        await(ledger.release("r1"));

        assertThat(failureKind(ledger.release("r1"))).isEqualTo(LedgerException.Kind.RESERVATION_STATE_CONFLICT);
        assertThat(failureKind(ledger.commit("r1", 10))).isEqualTo(LedgerException.Kind.RESERVATION_STATE_CONFLICT);
        assertThat(await(ledger.budget("b")).committedMicros()).isZero();
    }

    @Test
    void unknownReservationConflicts() {
        assertThat(failureKind(ledger.commit("never", 1))).isEqualTo(LedgerException.Kind.RESERVATION_STATE_CONFLICT);
    }

    @Test
    void reservingAgainstUnknownBudgetFails() {
        assertThat(failureKind(reserveAsync("ghost", "r1", 1))).isEqualTo(LedgerException.Kind.UNKNOWN_BUDGET);
        assertThat(failureKind(ledger.budget("ghost"))).isEqualTo(LedgerException.Kind.UNKNOWN_BUDGET);
    }

    @Test
    void reusingAHeldIdForAnotherAmountOrASettledIdFails() {
        put("b", 1000, "none");
        reserve("b", "r1", 100);

        assertThat(failureKind(reserveAsync("b", "r1", 200))).isEqualTo(LedgerException.Kind.DUPLICATE_RESERVATION);
        assertThat(await(ledger.budget("b")).reservedMicros()).isEqualTo(100);
        await(ledger.commit("r1", 100));
        assertThat(failureKind(reserveAsync("b", "r1", 100))).isEqualTo(LedgerException.Kind.DUPLICATE_RESERVATION);
        assertThat(await(ledger.budget("b")).committedMicros()).isEqualTo(100);
    }

    @Test
    void retriedReservationFindsItsHoldInsteadOfTakingASecond() {
        put("b", 1000, "none");
        Hold first = reserve("b", "r1", 600);

        Hold again = reserve("b", "r1", 600);

        assertThat(first.granted()).isTrue();
        assertThat(again.granted()).isTrue();
        assertThat(again.budget().reservedMicros()).as("one hold, not two").isEqualTo(600);
        await(ledger.commit("r1", 100));
        assertThat(await(ledger.budget("b")).committedMicros()).isEqualTo(100);
    }

    @Test
    void spendResetsWhenClockCrossesWindowEnd() {
        put("b", 1000, "daily");
        reserve("b", "r1", 800);
        await(ledger.commit("r1", 800));
        assertThat(reserve("b", "r2", 300).granted()).isFalse();

        clock.set(Instant.parse("2024-03-15T23:59:59.999Z"));
        assertThat(await(ledger.budget("b")).committedMicros()).as("still the same day").isEqualTo(800);

        clock.set(Instant.parse("2024-03-16T00:00:00Z"));
        BudgetState next = await(ledger.budget("b"));
        assertThat(next.committedMicros()).isZero();
        assertThat(next.window().start()).isEqualTo(Instant.parse("2024-03-16T00:00:00Z"));
        assertThat(next.window().end()).isEqualTo(Instant.parse("2024-03-17T00:00:00Z"));
        assertThat(reserve("b", "r3", 1000).granted()).isTrue();
    }

    @Test
    void reserveRollsTheWindowItself() {
        put("b", 1000, "monthly");
        reserve("b", "r1", 1000);
        await(ledger.commit("r1", 1000));

        clock.advance(Duration.ofDays(30)); // 2024-04-14

        assertThat(reserve("b", "r2", 1000).granted()).isTrue();
    }

    @Test
    void openHoldsSurviveTheWindowRollover() {
        put("b", 1000, "daily");
        reserve("b", "r1", 300);

        clock.advance(Duration.ofDays(1));

        assertThat(await(ledger.budget("b")).reservedMicros()).isEqualTo(300);
        Settled s = await(ledger.commit("r1", 200));
        assertThat(s.budget().reservedMicros()).isZero();
        assertThat(s.budget().committedMicros()).isEqualTo(200);
    }

    @Test
    void windowNoneNeverResets() {
        put("b", 1000, "none");
        reserve("b", "r1", 500);
        await(ledger.commit("r1", 500));

        clock.advance(Duration.ofDays(400));

        assertThat(await(ledger.budget("b")).committedMicros()).isEqualTo(500);
    }

    @Test
    void windowFollowsBudgetTimezone() {
        // 20:00Z on the 15th is already the 16th in Tokyo (UTC+9), where the day ends at 15:00Z on the 16th
        clock.set(Instant.parse("2024-03-15T20:00:00Z"));
        await(ledger.putBudget(new BudgetSpec("tokyo", 1000, "daily", "Asia/Tokyo", null, false)));
        reserve("tokyo", "r1", 1000);
        await(ledger.commit("r1", 1000));

        clock.set(Instant.parse("2024-03-16T14:59:59Z"));
        assertThat(await(ledger.budget("tokyo")).committedMicros()).isEqualTo(1000);
        clock.set(Instant.parse("2024-03-16T15:00:00Z"));
        assertThat(await(ledger.budget("tokyo")).committedMicros()).isZero();
    }

    @Test
    void putBudgetReplacesDefinitionAndKeepsSpend() {
        put("b", 1000, "daily");
        reserve("b", "r1", 400);
        await(ledger.commit("r1", 400));

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

        assertThat(await(ledger.budgets())).extracting(s -> s.spec().id()).containsExactly("alpha", "mid", "zeta");
    }

    @Test
    void sweeperCommitsExpiredForwardedHoldsAndReleasesOnesNeverForwarded() {
        put("b", 1000, "none");
        await(ledger.reserve(new Reservation("sent", "b", 300, EXPIRES, true)));
        reserve("b", "never-sent", 200);
        await(ledger.reserve(new Reservation("later", "b", 100, EXPIRES.plusSeconds(60), false)));

        assertThat(await(ledger.sweep(EXPIRES.minusMillis(1)))).as("nothing has expired yet").isEmpty();
        List<Expired> expired = await(ledger.sweep(EXPIRES));

        assertThat(expired).extracting(Expired::reservationId, Expired::heldMicros, Expired::committed)
                .containsExactlyInAnyOrder(tuple("sent", 300L, true), tuple("never-sent", 200L, false));
        BudgetState after = await(ledger.budget("b"));
        assertThat(after.committedMicros()).as("the forwarded call may have been billed: its hold is spent").isEqualTo(300);
        assertThat(after.reservedMicros()).as("only the hold that has not expired is left").isEqualTo(100);
        assertThat(await(ledger.sweep(EXPIRES))).as("a second pass settles nothing twice").isEmpty();
        assertThat(failureKind(ledger.commit("sent", 10))).isEqualTo(LedgerException.Kind.RESERVATION_STATE_CONFLICT);
        assertThat(await(ledger.budget("b")).committedMicros()).isEqualTo(300);
    }

    @Test
    void holdMarkedForwardedAtGrantIsCommittedWhenItExpires() {
        put("b", 1000, "none");
        await(ledger.reserve(new Reservation("r1", "b", 250, EXPIRES, true)));

        assertThat(await(ledger.sweep(EXPIRES.plusSeconds(1)))).singleElement().extracting(Expired::committed).isEqualTo(true);
        assertThat(await(ledger.budget("b")).committedMicros()).isEqualTo(250);
    }

    @Test
    void concurrentReservationsNeverOverspend() throws Exception {
        put("b", 1000, "none");
        int callers = 200;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Future<Hold>>> asks = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                String id = "r" + i;
                asks.add(pool.submit(() -> reserveAsync("b", id, 30)));
            }
            long granted = 0;
            for (var ask : asks) {
                granted += await(ask.get()).granted() ? 1 : 0;
            }
            assertThat(granted).as("1000 / 30 fits 33 holds").isEqualTo(33);
            assertThat(await(ledger.budget("b")).reservedMicros()).isEqualTo(990);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void idempotencyRecordGoesInFlightThenReplaysItsReply() {
        IdempotencyStore store = ledger.idempotency();
        Instant until = NOON.plusSeconds(600);

        IdempotencyStore.Claim first = await(store.begin("k", "hash-a", NOON, until));
        assertThat(first.outcome()).isEqualTo(IdempotencyStore.Outcome.GO);
        assertThat(await(store.begin("k", "hash-a", NOON, until)).outcome()).isEqualTo(IdempotencyStore.Outcome.IN_FLIGHT);
        assertThat(await(store.begin("k", "hash-b", NOON, until)).outcome()).isEqualTo(IdempotencyStore.Outcome.CONFLICT);

        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json").add("X-Cost", "42");
        await(store.complete("k", first.attempt(), new IdempotencyStore.Reply(200, headers, Buffer.buffer("{\"ok\":true}")), until));
        IdempotencyStore.Claim replay = await(store.begin("k", "hash-a", NOON, until));

        assertThat(replay.outcome()).isEqualTo(IdempotencyStore.Outcome.REPLAY);
        assertThat(replay.reply().status()).isEqualTo(200);
        assertThat(replay.reply().headers().get("x-cost")).isEqualTo("42");
        assertThat(replay.reply().body().toString()).isEqualTo("{\"ok\":true}");
    }

    @Test
    void forgottenIdempotencyKeyStartsANewAttempt() {
        IdempotencyStore store = ledger.idempotency();
        Instant until = NOON.plusSeconds(600);
        IdempotencyStore.Claim first = await(store.begin("k", "hash-a", NOON, until));

        await(store.forget("k", "not-the-attempt"));
        assertThat(await(store.begin("k", "hash-a", NOON, until)).outcome()).as("only its own attempt frees a key")
                .isEqualTo(IdempotencyStore.Outcome.IN_FLIGHT);
        await(store.forget("k", first.attempt()));
        IdempotencyStore.Claim second = await(store.begin("k", "hash-b", NOON, until));

        assertThat(second.outcome()).isEqualTo(IdempotencyStore.Outcome.GO);
        assertThat(second.attempt()).isNotEqualTo(first.attempt());
    }

    @Test
    void budgetIsDeletedOnlyOnceNothingIsHeldAgainstIt() {
        put("b", 1000, "none");
        reserve("b", "r1", 100);

        assertThat(failureKind(ledger.deleteBudget("ghost"))).isEqualTo(LedgerException.Kind.UNKNOWN_BUDGET);
        try {
            await(ledger.deleteBudget("b"));
            throw new AssertionError("a budget with an open hold was deleted");
        } catch (AssertionError e) {
            assertThat(e.getCause()).isInstanceOf(IllegalStateException.class).hasMessageContaining("100 usd_micros");
        }
        await(ledger.commit("r1", 40));
        assertThat(await(ledger.deleteBudget("b")).committedMicros()).isEqualTo(40);
        assertThat(failureKind(ledger.budget("b"))).isEqualTo(LedgerException.Kind.UNKNOWN_BUDGET);
    }

    protected List<AuditRecord> auditRecords(String budgetId) {
        return await(ledger.audit().read(new AuditLog.Query(budgetId, 0, null, AuditLog.MAX_PAGE)));
    }

    protected static List<String> types(List<AuditRecord> records) {
        return records.stream().map(r -> r.type() + (r.content().getJsonObject("data").containsKey("outcome")
                ? ":" + r.content().getJsonObject("data").getString("outcome") : "")).toList();
    }

    @Test
    void everyChangeWritesOneAuditRecordAndTheChainVerifies() {
        put("b", 1000, "none");
        reserve("b", "r1", 600);
        reserve("b", "r2", 500); // refused: does not fit
        reserve("b", "r3", 100);
        await(ledger.commit("r1", 700));
        await(ledger.release("r3"));
        await(ledger.reserve(new Reservation("r4", "b", 50, EXPIRES, true)));
        clock.advance(java.time.Duration.ofMinutes(11));
        await(ledger.sweep(clock.instant()));
        await(ledger.deleteBudget("b"));

        List<AuditRecord> records = auditRecords(null);
        assertThat(types(records)).containsExactly("budget.put", "decision:CONTINUE", "decision:STOP", "decision:CONTINUE",
                "commit", "release", "decision:CONTINUE", "expire", "budget.delete");
        assertThat(records).extracting(AuditRecord::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
        var commit = records.get(4).content();
        assertThat(commit.getString("budget_id")).isEqualTo("b");
        assertThat(commit.getJsonObject("data").getLong("held_usd_micros")).isEqualTo(600);
        assertThat(commit.getJsonObject("data").getLong("committed_usd_micros")).isEqualTo(700);
        assertThat(commit.getJsonObject("data").getLong("overrun_usd_micros")).isEqualTo(100);
        assertThat(records.get(7).content().getJsonObject("data").getLong("committed_usd_micros"))
                .as("an expired forwarded hold is committed in full").isEqualTo(50);
        AuditVerifier.Result verified = await(ledger.audit().verify());
        assertThat(verified.ok()).as(verified.describe()).isTrue();
        assertThat(verified.records()).isEqualTo(9);
    }

    @Test
    void aRefusedOperationWritesNoAuditRecord() {
        put("b", 1000, "none");
        reserve("b", "r1", 100);
        await(ledger.commit("r1", 100));
        failureKind(ledger.commit("r1", 100));
        failureKind(ledger.release("nope"));
        reserve("b", "r2", 100);
        reserve("b", "r2", 100); // a retried decision finds its hold: the decision was already recorded

        assertThat(types(auditRecords(null))).containsExactly("budget.put", "decision:CONTINUE", "commit", "decision:CONTINUE");
    }

    @Test
    void auditRecordsAreReadByBudgetAndAfterASequenceNumber() {
        put("a", 1000, "none");
        put("b", 1000, "none");
        reserve("a", "ra", 10);
        reserve("b", "rb", 10);
        await(ledger.audit().append(new AuditEvent(AuditEvent.KEY_CREATED, null, java.util.Map.of("key_id", "k1"))));

        assertThat(types(auditRecords("b"))).containsExactly("budget.put", "decision:CONTINUE");
        List<AuditRecord> all = auditRecords(null);
        assertThat(all).hasSize(5);
        assertThat(all.get(4).content().getJsonObject("data").getString("key_id")).isEqualTo("k1");
        assertThat(await(ledger.audit().read(new AuditLog.Query(null, 3, null, 1)))).extracting(AuditRecord::seq).containsExactly(4L);
        assertThat(await(ledger.audit().read(new AuditLog.Query(null, 0, clock.instant().plusSeconds(1), 10)))).isEmpty();
        assertThat(await(ledger.audit().verify()).ok()).isTrue();
    }

    @Test
    void concurrentChangesExtendOneUnbrokenChain() throws Exception {
        put("a", 1_000_000, "none");
        put("b", 1_000_000, "none");
        List<Future<Hold>> holds = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            holds.add(reserveAsync(i % 2 == 0 ? "a" : "b", "r" + i, 10));
        }
        await(Future.all(holds));
        List<Future<?>> settled = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            settled.add(i % 3 == 0 ? ledger.release("r" + i) : ledger.commit("r" + i, 5));
        }
        await(Future.all(settled));

        AuditVerifier.Result verified = await(ledger.audit().verify());
        assertThat(verified.ok()).as(verified.describe()).isTrue();
        assertThat(verified.records()).isEqualTo(202);
    }

    @Test
    void spendThatWouldPassTheLargestAmountSaturatesAndTheBudgetStaysSpent() {
        put("b", 1_000_000, "none");
        reserve("b", "r1", 100);
        reserve("b", "r2", 200);

        Settled first = await(ledger.commit("r1", Long.MAX_VALUE));
        Settled second = await(ledger.commit("r2", Long.MAX_VALUE));

        assertThat(first.budget().committedMicros()).isEqualTo(Long.MAX_VALUE);
        assertThat(second.budget().committedMicros()).as("saturated, not wrapped negative").isEqualTo(Long.MAX_VALUE);
        assertThat(second.budget().reservedMicros()).isZero();
        assertThat(second.budget().remainingMicros()).isZero();
        BudgetState after = await(ledger.budget("b"));
        assertThat(after.committedMicros()).isEqualTo(Long.MAX_VALUE);
        assertThat(after.reservedMicros()).isZero();
        assertThat(after.remainingMicros()).isZero();
        assertThat(reserve("b", "r3", 960_002).granted()).as("a spent budget admits nothing").isFalse();
        assertThat(reserve("b", "r4", 1).granted()).isFalse();
        assertThat(await(ledger.budget("b")).reservedMicros()).isZero();
    }

    @Test
    void aBudgetAsLargeAsTheLargestAmountStillRefusesWhatDoesNotFit() {
        put("b", Long.MAX_VALUE, "none");
        assertThat(reserve("b", "r1", Long.MAX_VALUE - 10).granted()).isTrue();
        assertThat(reserve("b", "r2", 11).granted()).as("reserved + amount would pass the limit").isFalse();
        assertThat(reserve("b", "r3", 10).granted()).isTrue();
        await(ledger.commit("r1", Long.MAX_VALUE));

        BudgetState after = await(ledger.budget("b"));
        assertThat(after.committedMicros()).isEqualTo(Long.MAX_VALUE);
        assertThat(after.reservedMicros()).isEqualTo(10);
        assertThat(after.remainingMicros()).isZero();
        assertThat(reserve("b", "r4", 1).granted()).isFalse();
        assertThat(await(ledger.commit("r3", Long.MAX_VALUE)).budget().committedMicros()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void anExpiredHoldCommittedOnTopOfSaturatedSpendLeavesItSaturated() {
        put("b", 1_000_000, "none");
        reserve("b", "spent", 100);
        await(ledger.reserve(new Reservation("sent", "b", 500, EXPIRES, true)));
        await(ledger.commit("spent", Long.MAX_VALUE));

        assertThat(await(ledger.sweep(EXPIRES))).singleElement().extracting(Expired::committed).isEqualTo(true);

        BudgetState after = await(ledger.budget("b"));
        assertThat(after.committedMicros()).isEqualTo(Long.MAX_VALUE);
        assertThat(after.reservedMicros()).isZero();
    }

    @Test
    void createBudgetIsRefusedWhenTheIdIsTakenAndWritesNoRecord() {
        BudgetState made = await(ledger.createBudget(new BudgetSpec("b", 1000, "daily", "UTC", null, false)));
        assertThat(made.remainingMicros()).isEqualTo(1000);
        assertThat(made.window().start()).isEqualTo(Instant.parse("2024-03-15T00:00:00Z"));
        reserve("b", "r1", 100);

        assertThat(failureKind(ledger.createBudget(new BudgetSpec("b", 5, "none", "UTC", null, false))))
                .isEqualTo(LedgerException.Kind.BUDGET_EXISTS);

        BudgetState kept = await(ledger.budget("b"));
        assertThat(kept.spec().limitMicros()).as("the first definition stands").isEqualTo(1000);
        assertThat(kept.reservedMicros()).isEqualTo(100);
        assertThat(types(auditRecords("b"))).containsExactly("budget.put", "decision:CONTINUE");
    }

    @Test
    void ofConcurrentCreatesOfOneIdExactlyOneWins() throws Exception {
        int callers = 20;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Future<BudgetState>>> asks = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                long limit = 1000 + i;
                asks.add(pool.submit(() -> ledger.createBudget(new BudgetSpec("new", limit, "none", "UTC", null, false))));
            }
            List<Long> won = new ArrayList<>();
            int refused = 0;
            for (var ask : asks) {
                Future<BudgetState> f = ask.get();
                try {
                    won.add(f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).spec().limitMicros());
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(LedgerException.class);
                    assertThat(((LedgerException) e.getCause()).kind()).isEqualTo(LedgerException.Kind.BUDGET_EXISTS);
                    refused++;
                }
            }
            assertThat(won).hasSize(1);
            assertThat(refused).isEqualTo(callers - 1);
            assertThat(await(ledger.budget("new")).spec().limitMicros()).isEqualTo(won.get(0));
            assertThat(types(auditRecords("new"))).containsExactly("budget.put");
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- agent runs (SPEC §10): counted and limited in the reservation's own atomic step ----

    protected Future<Hold> reserveInRunAsync(String budget, String reservation, long amount, RunLimit run) {
        return ledger.reserve(new Reservation(reservation, budget, amount, EXPIRES, false, null, run));
    }

    protected Hold reserveInRun(String budget, String reservation, long amount, RunLimit run) {
        return await(reserveInRunAsync(budget, reservation, amount, run));
    }

    @Test
    void aRunCountsEachAdmittedCallAndHoldsItsAmount() {
        put("b", 10_000, "none");
        RunLimit run = new RunLimit("run-1", 0, 0);

        Hold first = reserveInRun("b", "r1", 300, run);
        Hold second = reserveInRun("b", "r2", 200, run);

        assertThat(first.granted()).isTrue();
        assertThat(first.runRefusal()).isNull();
        assertThat(second.run().steps()).isEqualTo(2);
        assertThat(second.run().reservedMicros()).isEqualTo(500);
        assertThat(second.run().budgetId()).isEqualTo("b");
        RunState stored = await(ledger.run("run-1"));
        assertThat(stored.steps()).isEqualTo(2);
        assertThat(stored.reservedMicros()).isEqualTo(500);
        assertThat(stored.committedMicros()).isZero();
        assertThat(stored.firstSeen()).isEqualTo(NOON);
        assertThat(stored.stopped()).isFalse();
    }

    @Test
    void settlingMovesTheRunsMoneyAsItMovesTheBudgetsAndAReleasedCallKeepsItsStep() {
        put("b", 10_000, "none");
        RunLimit run = new RunLimit("run-1", 0, 0);
        reserveInRun("b", "r1", 300, run);
        reserveInRun("b", "r2", 200, run);

        await(ledger.commit("r1", 120));
        await(ledger.release("r2"));

        RunState after = await(ledger.run("run-1"));
        assertThat(after.steps()).as("the released call still counts as a step").isEqualTo(2);
        assertThat(after.reservedMicros()).isZero();
        assertThat(after.committedMicros()).isEqualTo(120);
    }

    @Test
    void aRetriedReservationCountsNoSecondStep() {
        put("b", 10_000, "none");
        RunLimit run = new RunLimit("run-1", 0, 0);
        reserveInRun("b", "r1", 300, run);

        Hold again = reserveInRun("b", "r1", 300, run);

        assertThat(again.granted()).isTrue();
        assertThat(await(ledger.run("run-1")).steps()).isEqualTo(1);
        assertThat(await(ledger.run("run-1")).reservedMicros()).isEqualTo(300);
    }

    @Test
    void aRunPastItsStepsIsRefusedAndNothingIsHeld() {
        put("b", 10_000, "none");
        RunLimit run = new RunLimit("run-1", 2, 0);
        reserveInRun("b", "r1", 100, run);
        reserveInRun("b", "r2", 100, run);

        Hold third = reserveInRun("b", "r3", 100, run);

        assertThat(third.granted()).isFalse();
        assertThat(third.runRefusal()).isEqualTo(RunLimit.RUN_STEP_LIMIT);
        assertThat(third.run().steps()).isEqualTo(2);
        assertThat(third.budget().reservedMicros()).as("a refused call holds nothing").isEqualTo(200);
        assertThat(failureKind(ledger.commit("r3", 5))).isEqualTo(LedgerException.Kind.RESERVATION_STATE_CONFLICT);
    }

    @Test
    void aRunPastItsMoneyIsRefusedWhileReservedAndCommittedTogetherWouldPassIt() {
        put("b", 10_000, "none");
        RunLimit run = new RunLimit("run-1", 0, 1_000);
        reserveInRun("b", "r1", 600, run);
        await(ledger.commit("r1", 500));
        reserveInRun("b", "r2", 300, run);

        Hold over = reserveInRun("b", "r3", 201, run);
        Hold exact = reserveInRun("b", "r4", 200, run);

        assertThat(over.granted()).isFalse();
        assertThat(over.runRefusal()).isEqualTo(RunLimit.RUN_BUDGET_EXCEEDED);
        assertThat(exact.granted()).as("500 committed + 300 reserved + 200 == 1000 fits").isTrue();
        assertThat(exact.run().usdMicros()).isEqualTo(1_000);
    }

    @Test
    void aCallTheBudgetRefusesCountsNoStep() {
        put("b", 100, "none");
        RunLimit run = new RunLimit("run-1", 5, 0);

        Hold refused = reserveInRun("b", "r1", 101, run);

        assertThat(refused.granted()).isFalse();
        assertThat(refused.runRefusal()).as("the budget refused it, not the run").isNull();
        assertThat(await(ledger.runs(null, null, 10))).allSatisfy(r -> assertThat(r.steps()).isZero());
    }

    @Test
    void concurrentCallsOfOneRunNeverPassItsSteps() throws Exception {
        put("b", 1_000_000, "none");
        RunLimit run = new RunLimit("run-c", 7, 0);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Future<Hold>>> asks = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                String id = "r" + i;
                asks.add(pool.submit(() -> reserveInRunAsync("b", id, 10, run)));
            }
            long granted = 0;
            for (var ask : asks) {
                granted += await(ask.get()).granted() ? 1 : 0;
            }
            assertThat(granted).isEqualTo(7);
            assertThat(await(ledger.run("run-c")).steps()).isEqualTo(7);
            assertThat(await(ledger.budget("b")).reservedMicros()).isEqualTo(70);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentCallsOfOneRunNeverPassItsMoney() throws Exception {
        put("b", 1_000_000, "none");
        RunLimit run = new RunLimit("run-m", 0, 1_000);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Future<Hold>>> asks = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                String id = "r" + i;
                asks.add(pool.submit(() -> reserveInRunAsync("b", id, 30, run)));
            }
            long granted = 0;
            for (var ask : asks) {
                granted += await(ask.get()).granted() ? 1 : 0;
            }
            assertThat(granted).as("1000 / 30 fits 33 calls").isEqualTo(33);
            assertThat(await(ledger.run("run-m")).reservedMicros()).isEqualTo(990);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aStoppedRunRefusesEveryLaterCallAndTheStopIsAudited() {
        put("b", 10_000, "none");
        RunLimit run = new RunLimit("run-1", 0, 0);
        reserveInRun("b", "r1", 100, run);

        RunState stopped = await(ledger.stopRun("run-1", null, "runaway loop"));
        Hold after = reserveInRun("b", "r2", 100, run);

        assertThat(stopped.stopped()).isTrue();
        assertThat(stopped.stopReason()).isEqualTo("runaway loop");
        assertThat(stopped.steps()).isEqualTo(1);
        assertThat(after.granted()).isFalse();
        assertThat(after.runRefusal()).isEqualTo(RunLimit.RUN_STOPPED);
        assertThat(await(ledger.stopRun("run-1", null, "again")).stopReason()).as("the first reason stays").isEqualTo("runaway loop");
        assertThat(auditRecords("b")).extracting(AuditRecord::type).contains(AuditEvent.RUN_STOP);
        await(ledger.commit("r1", 100));
        assertThat(await(ledger.run("run-1")).committedMicros()).as("a stopped run's holds still settle").isEqualTo(100);
    }

    @Test
    void aRunStoppedBeforeItsFirstCallIsCreatedStopped() {
        put("b", 10_000, "none");

        RunState stopped = await(ledger.stopRun("run-early", "b", "not allowed"));
        Hold first = reserveInRun("b", "r1", 100, new RunLimit("run-early", 0, 0));

        assertThat(stopped.steps()).isZero();
        assertThat(stopped.budgetId()).isEqualTo("b");
        assertThat(first.runRefusal()).isEqualTo(RunLimit.RUN_STOPPED);
    }

    @Test
    void runsAreListedByBudgetAndStateMostRecentFirst() {
        put("a", 10_000, "none");
        put("b", 10_000, "none");
        reserveInRun("a", "r1", 10, new RunLimit("run-a1", 0, 0));
        clock.advance(Duration.ofSeconds(1));
        reserveInRun("a", "r2", 10, new RunLimit("run-a2", 0, 0));
        clock.advance(Duration.ofSeconds(1));
        reserveInRun("b", "r3", 10, new RunLimit("run-b1", 0, 0));
        await(ledger.stopRun("run-a1", null, "stop"));

        assertThat(await(ledger.runs(null, null, 10))).extracting(RunState::id).containsExactly("run-b1", "run-a2", "run-a1");
        assertThat(await(ledger.runs("a", null, 10))).extracting(RunState::id).containsExactly("run-a2", "run-a1");
        assertThat(await(ledger.runs(null, true, 10))).extracting(RunState::id).containsExactly("run-a1");
        assertThat(await(ledger.runs(null, false, 1))).extracting(RunState::id).containsExactly("run-b1");
        assertThat(failureKind(ledger.run("nope"))).isEqualTo(LedgerException.Kind.UNKNOWN_RUN);
    }

    @Test
    void idleRunsThatHoldNothingAreForgottenButStoppedOnesStay() {
        put("b", 10_000, "none");
        reserveInRun("b", "r1", 10, new RunLimit("idle", 0, 0));
        await(ledger.commit("r1", 10));
        reserveInRun("b", "r2", 10, new RunLimit("holding", 0, 0));
        reserveInRun("b", "r3", 10, new RunLimit("stopped", 0, 0));
        await(ledger.commit("r3", 10));
        await(ledger.stopRun("stopped", null, "stop"));
        clock.advance(Duration.ofHours(2));
        reserveInRun("b", "r4", 10, new RunLimit("recent", 0, 0));

        int forgotten = await(ledger.forgetRuns(NOON.plus(Duration.ofHours(1))));

        assertThat(forgotten).isEqualTo(1);
        assertThat(failureKind(ledger.run("idle"))).isEqualTo(LedgerException.Kind.UNKNOWN_RUN);
        assertThat(await(ledger.runs(null, null, 10))).extracting(RunState::id).containsExactlyInAnyOrder("holding", "stopped", "recent");
    }

    // ---- budget trees (SPEC §11): every level reserved and settled in one atomic step ----

    protected BudgetState putChild(String id, long limit, String parent) {
        return await(ledger.putBudget(new BudgetSpec(id, limit, "none", "UTC", null, false, null, null, parent)));
    }

    /** org (1000) → team (500) → key (200). */
    protected void tree() {
        put("org", 1000, "none");
        putChild("team", 500, "org");
        putChild("key", 200, "team");
    }

    @Test
    void aBudgetsPathRunsFromItUpToItsRoot() {
        tree();

        assertThat(await(ledger.path("key"))).extracting(b -> b.spec().id()).containsExactly("key", "team", "org");
        assertThat(await(ledger.path("org"))).extracting(b -> b.spec().id()).containsExactly("org");
        assertThat(await(ledger.budget("key")).spec().parent()).isEqualTo("team");
        assertThat(failureKind(ledger.path("nope"))).isEqualTo(LedgerException.Kind.UNKNOWN_BUDGET);
    }

    @Test
    void aReservationHoldsOnEveryLevelAndSettlesOnEveryLevel() {
        tree();

        Hold hold = reserve("key", "r1", 150);
        assertThat(hold.granted()).isTrue();
        assertThat(hold.path()).extracting(BudgetState::reservedMicros).containsExactly(150L, 150L, 150L);
        assertThat(hold.remainingOnPath()).isEqualTo(50);

        Settled settled = await(ledger.commit("r1", 100));
        assertThat(settled.path()).extracting(b -> b.spec().id()).containsExactly("key", "team", "org");
        assertThat(settled.path()).extracting(BudgetState::committedMicros).containsExactly(100L, 100L, 100L);
        assertThat(settled.path()).extracting(BudgetState::reservedMicros).containsExactly(0L, 0L, 0L);
        assertThat(settled.remainingOnPath()).isEqualTo(100);

        reserve("key", "r2", 50);
        await(ledger.release("r2"));
        assertThat(await(ledger.budget("org")).reservedMicros()).isZero();
        assertThat(await(ledger.budget("org")).committedMicros()).isEqualTo(100);
    }

    @Test
    void theFirstLevelThatCannotCoverTheClaimRefusesItAndNothingIsHeldAnywhere() {
        tree();
        putChild("other", 1000, "team");
        reserve("other", "r0", 400);

        Hold refusedByTeam = reserve("key", "r1", 150);
        Hold refusedByKey = reserve("key", "r2", 201);

        assertThat(refusedByTeam.granted()).isFalse();
        assertThat(refusedByTeam.refusedBy()).as("team has 100 left").isEqualTo("team");
        assertThat(refusedByKey.refusedBy()).as("the leaf is checked first").isEqualTo("key");
        assertThat(await(ledger.budget("key")).reservedMicros()).isZero();
        assertThat(await(ledger.budget("team")).reservedMicros()).isEqualTo(400);
        assertThat(await(ledger.budget("org")).reservedMicros()).isEqualTo(400);
    }

    @Test
    void anExpiredHoldSettlesOnEveryLevel() {
        tree();
        await(ledger.reserve(new Reservation("r1", "key", 100, EXPIRES, true)));

        await(ledger.sweep(EXPIRES.plusSeconds(1)));

        assertThat(await(ledger.path("key"))).extracting(BudgetState::committedMicros).containsExactly(100L, 100L, 100L);
        assertThat(await(ledger.path("key"))).extracting(BudgetState::reservedMicros).containsExactly(0L, 0L, 0L);
    }

    @Test
    void aHoldSettlesOnTheLevelsItWasTakenOnEvenAfterItsBudgetMoves() {
        tree();
        put("org2", 1000, "none");
        reserve("key", "r1", 100);

        putChild("team", 500, "org2");
        await(ledger.commit("r1", 80));

        assertThat(await(ledger.budget("org")).committedMicros()).isEqualTo(80);
        assertThat(await(ledger.budget("org")).reservedMicros()).isZero();
        assertThat(await(ledger.budget("org2")).committedMicros()).isZero();
        assertThat(reserve("key", "r2", 10).path()).extracting(b -> b.spec().id()).containsExactly("key", "team", "org2");
    }

    @Test
    void anUnknownParentACycleOrATreeTooDeepIsRefused() {
        tree();

        assertThat(failureKind(ledger.putBudget(new BudgetSpec("x", 10, "none", "UTC", null, false, null, null, "nope"))))
                .isEqualTo(LedgerException.Kind.UNKNOWN_PARENT);
        assertThat(failureKind(ledger.putBudget(new BudgetSpec("org", 1000, "none", "UTC", null, false, null, null, "key"))))
                .isEqualTo(LedgerException.Kind.BUDGET_CYCLE);
        assertThat(await(ledger.budget("org")).spec().parent()).as("a refused change changes nothing").isNull();
        String parent = "key";
        for (int level = 4; level <= BudgetSpec.MAX_DEPTH; level++) {
            putChild("l" + level, 10, parent);
            parent = "l" + level;
        }
        assertThat(failureKind(ledger.putBudget(new BudgetSpec("too-deep", 10, "none", "UTC", null, false, null, null, parent))))
                .isEqualTo(LedgerException.Kind.TREE_TOO_DEEP);
        assertThat(failureKind(ledger.createBudget(new BudgetSpec("too-deep", 10, "none", "UTC", null, false, null, null, parent))))
                .isEqualTo(LedgerException.Kind.TREE_TOO_DEEP);
        put("root2", 10, "none");
        putChild("mid2", 10, "root2");
        assertThat(failureKind(ledger.putBudget(new BudgetSpec("root2", 10, "none", "UTC", null, false, null, null, parent))))
                .as("moving a subtree under the deepest leaf").isEqualTo(LedgerException.Kind.TREE_TOO_DEEP);
    }

    @Test
    void aBudgetWithChildrenCannotBeDeleted() {
        tree();

        assertThat(failureKind(ledger.deleteBudget("team"))).isEqualTo(LedgerException.Kind.HAS_CHILDREN);
        await(ledger.deleteBudget("key"));
        await(ledger.deleteBudget("team"));
        assertThat(await(ledger.budgets())).extracting(b -> b.spec().id()).containsExactly("org");
    }

    @Test
    void concurrentCallsOnSiblingsNeverPassTheirParentOrThemselves() throws Exception {
        put("team", 30 * 10, "none");
        for (int k = 0; k < 4; k++) {
            putChild("key" + k, 20 * 10, "team");
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Future<Hold>>> asks = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String id = "r" + i;
                String key = "key" + (i % 4);
                asks.add(pool.submit(() -> reserveAsync(key, id, 10)));
            }
            long granted = 0;
            for (var ask : asks) {
                granted += await(ask.get()).granted() ? 1 : 0;
            }
            assertThat(granted).isEqualTo(30);
            assertThat(await(ledger.budget("team")).reservedMicros()).isEqualTo(300);
            long children = 0;
            for (int k = 0; k < 4; k++) {
                long held = await(ledger.budget("key" + k)).reservedMicros();
                assertThat(held).as("key" + k).isLessThanOrEqualTo(200);
                children += held;
            }
            assertThat(children).isEqualTo(300);
        } finally {
            pool.shutdownNow();
        }
    }
}
