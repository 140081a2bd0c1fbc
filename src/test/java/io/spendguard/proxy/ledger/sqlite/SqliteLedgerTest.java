package io.spendguard.proxy.ledger.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.MutableClock;
import io.spendguard.proxy.ledger.IdempotencyStore;
import io.spendguard.proxy.ledger.Ledger.Reservation;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.LedgerContract;
import io.spendguard.proxy.ledger.RunLimit;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
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
    void aFileFromBeforeRunsIsMigratedWhenOpenedAndKeepsItsHolds() throws Exception {
        Path file = dir.resolve("before-runs.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            st.execute("""
                    CREATE TABLE budgets (
                      id TEXT PRIMARY KEY, spec TEXT NOT NULL, limit_micros INTEGER NOT NULL,
                      window_start INTEGER, window_end INTEGER,
                      reserved INTEGER NOT NULL DEFAULT 0, committed INTEGER NOT NULL DEFAULT 0)""");
            st.execute("""
                    CREATE TABLE reservations (
                      id TEXT PRIMARY KEY, budget_id TEXT NOT NULL, amount INTEGER NOT NULL, state TEXT NOT NULL,
                      forwarded INTEGER NOT NULL, expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL,
                      spent INTEGER, settled_at INTEGER)""");
            st.execute("INSERT INTO budgets (id, spec, limit_micros, reserved) VALUES ('b', '"
                    + new BudgetSpec("b", 1000, "none", "UTC", null, false).toJson().encode() + "', 1000, 300)");
            st.execute("INSERT INTO reservations (id, budget_id, amount, state, forwarded, expires_at, created_at) "
                    + "VALUES ('old', 'b', 300, 'held', 0, " + Instant.parse("2024-03-15T12:10:00Z").toEpochMilli() + ", 0)");
        }

        Ledger migrated = await(SqliteLedger.open(vertx, file, clock, chain));
        try {
            Ledger.Hold inRun = await(migrated.reserve(new Reservation("new", "b", 200, Instant.parse("2024-03-15T12:10:00Z"),
                    false, null, new RunLimit("run-1", 0, 0))));
            assertThat(inRun.granted()).isTrue();
            assertThat(inRun.budget().reservedMicros()).isEqualTo(500);
            assertThat(await(migrated.commit("old", 250)).budget().committedMicros()).isEqualTo(250);
            await(migrated.commit("new", 150));
            assertThat(await(migrated.run("run-1")).committedMicros()).isEqualTo(150);
        } finally {
            await(migrated.close());
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("PRAGMA user_version")) {
            assertThat(rs.getInt(1)).isEqualTo(SqliteLedger.MIGRATIONS.size());
        }
        Ledger again = await(SqliteLedger.open(vertx, file, clock, chain));
        try {
            assertThat(await(again.run("run-1")).steps()).as("a migrated file opens again unchanged").isEqualTo(1);
        } finally {
            await(again.close());
        }
    }

    @Test
    void aTreeAndTheLevelsOfItsHoldsSurviveAReopen() {
        tree();
        reserve("key", "open", 150);

        reopen();

        assertThat(await(ledger.path("key"))).extracting(b -> b.spec().id()).containsExactly("key", "team", "org");
        assertThat(failureKind(ledger.deleteBudget("team"))).isEqualTo(io.spendguard.proxy.ledger.LedgerException.Kind.HAS_CHILDREN);
        assertThat(await(ledger.commit("open", 100)).path()).extracting(BudgetState::committedMicros).containsExactly(100L, 100L, 100L);
        assertThat(await(ledger.path("key"))).extracting(BudgetState::reservedMicros).containsExactly(0L, 0L, 0L);
    }

    @Test
    void aFileFromBeforeTreesIsMigratedAndItsBudgetsTakeParents() throws Exception {
        Path file = dir.resolve("before-trees.db");
        Ledger old = await(SqliteLedger.open(vertx, file, clock, chain));
        await(old.close());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            // the file as the version before trees left it
            st.execute("DROP INDEX budgets_parent");
            st.execute("ALTER TABLE budgets DROP COLUMN parent");
            st.execute("ALTER TABLE reservations DROP COLUMN ancestors");
            st.execute("PRAGMA user_version = 1");
            st.execute("INSERT INTO budgets (id, spec, limit_micros, reserved) VALUES ('b', '"
                    + new BudgetSpec("b", 1000, "none", "UTC", null, false).toJson().encode() + "', 1000, 300)");
            st.execute("INSERT INTO reservations (id, budget_id, amount, state, forwarded, expires_at, created_at) "
                    + "VALUES ('old', 'b', 300, 'held', 0, " + Instant.parse("2024-03-15T12:10:00Z").toEpochMilli() + ", 0)");
        }

        Ledger migrated = await(SqliteLedger.open(vertx, file, clock, chain));
        try {
            await(migrated.putBudget(new BudgetSpec("org", 2000, "none", "UTC", null, false)));
            await(migrated.putBudget(new BudgetSpec("b", 1000, "none", "UTC", null, false, null, null, "org")));
            assertThat(await(migrated.commit("old", 250)).path()).as("a hold from before keeps its one level").hasSize(1);
            assertThat(await(migrated.reserve(new Reservation("new", "b", 200, Instant.parse("2024-03-15T12:10:00Z"), false))).path())
                    .extracting(BudgetState::reservedMicros).containsExactly(200L, 200L);
        } finally {
            await(migrated.close());
        }
    }

    @Test
    void runsSurviveAReopen() {
        put("b", 1000, "none");
        RunLimit run = new RunLimit("run-1", 2, 0);
        reserveInRun("b", "r1", 100, run);
        await(ledger.stopRun("stopped", "b", "runaway"));

        reopen();

        assertThat(await(ledger.run("run-1")).reservedMicros()).isEqualTo(100);
        assertThat(reserveInRun("b", "r2", 100, run).granted()).isTrue();
        assertThat(reserveInRun("b", "r3", 100, run).runRefusal()).isEqualTo(RunLimit.RUN_STEP_LIMIT);
        assertThat(await(ledger.run("stopped")).stopReason()).isEqualTo("runaway");
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
