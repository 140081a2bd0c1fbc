package io.spendguard.proxy.ledger.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.MutableClock;
import io.spendguard.proxy.ledger.IdempotencyStore;
import io.spendguard.proxy.ledger.Ledger.Reservation;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.LedgerContract;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger contract against a real SQLite file, plus what only a durable ledger promises. */
class SqliteLedgerTest extends LedgerContract {
    @TempDir
    Path dir;
    private Vertx vertx;

    @Override
    protected Ledger open(MutableClock clock) {
        vertx = Vertx.vertx();
        return await(SqliteLedger.open(vertx, dir.resolve("nested/ledger.db"), clock, chain));
    }

    @Override
    protected void closed() {
        await(vertx.close());
    }

    private Ledger reopen() {
        await(ledger.close());
        ledger = await(SqliteLedger.open(vertx, dir.resolve("nested/ledger.db"), clock, chain));
        return ledger;
    }

    @Test
    void createsTheFileInWalMode() {
        assertThat(dir.resolve("nested/ledger.db")).exists();
        put("b", 1000, "none");
        assertThat(Files.exists(dir.resolve("nested/ledger.db-wal"))).as("write-ahead log in use").isTrue();
    }

    @Test
    void budgetsHoldsAndSpendSurviveAReopen() {
        put("b", 1000, "daily");
        reserve("b", "spent", 400);
        await(ledger.commit("spent", 350));
        reserve("b", "open", 200);

        reopen();

        BudgetState after = await(ledger.budget("b"));
        assertThat(after.spec().window()).isEqualTo("daily");
        assertThat(after.committedMicros()).isEqualTo(350);
        assertThat(after.reservedMicros()).isEqualTo(200);
        assertThat(await(ledger.commit("open", 150)).budget().committedMicros()).isEqualTo(500);
    }

    @Test
    void replyStoredForReplaySurvivesAReopen() {
        Instant until = Instant.parse("2024-03-15T12:10:00Z");
        IdempotencyStore.Claim first = await(ledger.idempotency().begin("k", "h", clock.instant(), until));
        await(ledger.idempotency().complete("k", first.attempt(), new IdempotencyStore.Reply(200,
                io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json"),
                io.vertx.core.buffer.Buffer.buffer("{}")), until));

        IdempotencyStore.Claim again = await(reopen().idempotency().begin("k", "h", clock.instant(), until));

        assertThat(again.outcome()).isEqualTo(IdempotencyStore.Outcome.REPLAY);
        assertThat(again.reply().body().toString()).isEqualTo("{}");
    }

    @Test
    void attemptInFlightWhenItsProcessStoppedIsTakenOverUnderTheSameAttempt() {
        Instant until = Instant.parse("2024-03-15T12:10:00Z");
        IdempotencyStore.Claim first = await(ledger.idempotency().begin("k", "h", clock.instant(), until));
        put("b", 1000, "none");
        await(ledger.reserve(new Reservation("res_" + first.attempt(), "b", 300, until, false)));

        Ledger next = reopen();
        IdempotencyStore.Claim retry = await(next.idempotency().begin("k", "h", clock.instant(), until));

        assertThat(retry.outcome()).isEqualTo(IdempotencyStore.Outcome.GO);
        assertThat(retry.attempt()).isEqualTo(first.attempt());
        Ledger.Hold hold = await(next.reserve(new Reservation("res_" + retry.attempt(), "b", 300, until, false)));
        assertThat(hold.granted()).isTrue();
        assertThat(hold.budget().reservedMicros()).as("the retry collapses onto the first hold").isEqualTo(300);
    }

    @Test
    void attemptInFlightInALiveProcessIsNotTakenOver() {
        Instant until = Instant.parse("2024-03-15T12:10:00Z");
        await(ledger.idempotency().begin("k", "h", clock.instant(), until));
        Ledger other = await(SqliteLedger.open(vertx, dir.resolve("nested/ledger.db"), clock, chain));
        try {
            assertThat(await(other.idempotency().begin("k", "h", clock.instant(), until)).outcome())
                    .isEqualTo(IdempotencyStore.Outcome.IN_FLIGHT);
        } finally {
            await(other.close());
        }
    }
}
