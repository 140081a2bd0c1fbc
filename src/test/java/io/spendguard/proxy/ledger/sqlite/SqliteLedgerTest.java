package io.spendguard.proxy.ledger.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.audit.AuditLog;
import io.spendguard.proxy.audit.AuditRecord;
import io.spendguard.proxy.audit.AuditVerifier;
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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
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
    void theWritersConnectionCommitsDurablyAndRunsNothingBesideItsOwnStatements() throws Exception {
        try (Connection c = SqliteLedger.connect(dir.resolve("connection.db"), false); Statement st = c.createStatement()) {
            assertThat(st.executeQuery("PRAGMA journal_mode").getString(1)).isEqualTo("wal");
            assertThat(st.executeQuery("PRAGMA synchronous").getInt(1)).as("FULL: the WAL is synced at every commit").isEqualTo(2);
            st.execute("CREATE TABLE t (x)");
            PreparedStatement insert = c.prepareStatement("INSERT INTO t VALUES (1)");
            insert.executeUpdate();
            assertThat(insert.getGeneratedKeys().next()).as("no query for generated keys after an insert").isFalse();
        }
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
            auditAsBeforeVersion3(st);
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

    /**
     * A file of version 2 holding {@code records} as that version stored them: a signature on every
     * record of its group ({@code signed_seq}, {@code signature}), no table of signatures.
     */
    private Path version2File(List<AuditRecord> records) throws Exception {
        Path file = dir.resolve("v2.db");
        await(SqliteLedger.open(vertx, file, clock, chain).compose(Ledger::close));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            auditAsBeforeVersion3(st);
            st.execute("PRAGMA user_version = 2");
            PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO audit (seq, time, type, budget_id, body, hash, signed_seq, signature) VALUES (?, 0, ?, NULL, ?, ?, ?, ?)");
            for (AuditRecord r : records) {
                insert.setLong(1, r.seq());
                insert.setString(2, r.type());
                insert.setString(3, r.body());
                insert.setString(4, r.hash());
                insert.setLong(5, r.signedSeq());
                insert.setString(6, r.signature());
                insert.executeUpdate();
            }
        }
        return file;
    }

    /** Turns an empty audit chain of the current version back into its form before version 3 (signatures on the records). */
    private static void auditAsBeforeVersion3(Statement st) throws Exception {
        st.execute("DROP TABLE audit");
        st.execute("DROP TABLE audit_signatures");
        st.execute(SqliteAudit.SCHEMA);
        st.execute(SqliteAudit.INDEX);
        st.execute(SqliteAudit.UNSIGNED);
    }

    /** Records 1-3 signed over record 3, then 4-5 over record 5, as the sealer of version 2 left them. */
    private List<AuditRecord> twoSignedGroups() {
        List<AuditRecord> records = new ArrayList<>(chain.seal(AuditChain.GENESIS, keys(1, 3)));
        records.addAll(chain.seal(new AuditChain.Head(3, records.get(2).hash()), keys(4, 5)));
        return records;
    }

    private static List<AuditEvent> keys(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(i -> new AuditEvent(AuditEvent.KEY_CREATED, null, Map.of("key_id", "k" + i))).toList();
    }

    @Test
    void aFileWithSignaturesOnItsRecordsIsMigratedAndItsChainStillVerifies() throws Exception {
        List<AuditRecord> before = twoSignedGroups();
        Path file = version2File(before);

        Ledger migrated = await(SqliteLedger.open(vertx, file, clock, chain));
        try {
            assertThat(await(migrated.audit().read(AuditLog.Query.all(0))))
                    .as("every record read with the signature of its group")
                    .extracting(AuditRecord::seq, AuditRecord::signedSeq, AuditRecord::signature)
                    .containsExactlyElementsOf(before.stream().map(r -> tuple(r.seq(), r.signedSeq(), r.signature())).toList());
            assertThat(await(migrated.audit().verify()).ok()).isTrue();

            await(migrated.putBudget(new BudgetSpec("b", 1000, "none", "UTC", null, false)));
            AuditVerifier.Result extended = await(migrated.audit().verify());
            assertThat(extended.ok()).as(extended.describe()).isTrue();
            assertThat(extended.records()).as("the chain goes on from the migrated head").isEqualTo(6);
        } finally {
            await(migrated.close());
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            ResultSet columns = st.executeQuery("SELECT group_concat(name) FROM pragma_table_info('audit')");
            assertThat(columns.getString(1)).as("signatures no longer on the records").isEqualTo("seq,time,type,budget_id,body,hash");
            ResultSet version = st.executeQuery("PRAGMA user_version");
            assertThat(version.getInt(1)).isEqualTo(SqliteLedger.MIGRATIONS.size());
        }
    }

    @Test
    void aGroupWhoseSignedRecordWasRemovedBeforeTheMigrationIsStillFound() throws Exception {
        List<AuditRecord> truncated = twoSignedGroups().subList(0, 4);

        Ledger migrated = await(SqliteLedger.open(vertx, version2File(truncated), clock, chain));
        try {
            AuditVerifier.Result r = await(migrated.audit().verify());
            assertThat(r.ok()).isFalse();
            assertThat(r.badSeq()).isEqualTo(4);
            assertThat(r.reason()).contains("signed over record 5, which is missing");
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
