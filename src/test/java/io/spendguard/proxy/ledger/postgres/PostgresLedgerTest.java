package io.spendguard.proxy.ledger.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.MutableClock;
import io.spendguard.proxy.ledger.IdempotencyStore;
import io.spendguard.proxy.ledger.Ledger.Expired;
import io.spendguard.proxy.ledger.Ledger.Hold;
import io.spendguard.proxy.ledger.Ledger.Reservation;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.LedgerContract;
import io.spendguard.proxy.ledger.LedgerException;
import io.spendguard.proxy.ledger.LeasedIdempotency;
import io.spendguard.proxy.ledger.RunLimit;
import io.spendguard.proxy.ledger.RunState;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The ledger contract against a real PostgreSQL (a fresh schema per test), plus what only a durable,
 * shared ledger promises: state survives a reopen, attempts of a dead process are taken over, and
 * two ledgers on one database ("replicas") never overspend together.
 */
class PostgresLedgerTest extends LedgerContract {
    private static final Instant UNTIL = Instant.parse("2024-03-15T12:10:00Z");
    private Vertx vertx;
    private TestPostgres db;
    private final List<Ledger> others = new ArrayList<>();

    @Override
    protected Ledger open(MutableClock clock) throws Exception {
        db = TestPostgres.freshSchema();
        vertx = Vertx.vertx();
        return await(PostgresLedger.open(vertx, db.url(), 8, clock, chain));
    }

    @Override
    protected void closed() throws Exception {
        for (Ledger other : others) {
            await(other.close());
        }
        // a skipped test (no server) got neither
        if (vertx != null) {
            await(vertx.close());
        }
        if (db != null) {
            db.close();
        }
    }

    private Ledger replica(java.time.Clock clock) {
        Ledger other = await(PostgresLedger.open(vertx, db.url(), 8, clock, chain));
        others.add(other);
        return other;
    }

    private Ledger reopen() {
        await(ledger.close());
        ledger = await(PostgresLedger.open(vertx, db.url(), 8, clock, chain));
        return ledger;
    }

    @Test
    void createsTheSchemaOnceAndRecordsItsVersion() throws Exception {
        reopen();
        replica(clock);

        assertThat(db.execute("SELECT count(*) FROM schema_version")).isEqualTo((long) PostgresSchema.MIGRATIONS.size());
        assertThat(db.execute("SELECT max(version) FROM schema_version")).isEqualTo(PostgresSchema.MIGRATIONS.size());
        assertThat(db.execute("SHOW synchronous_commit")).isEqualTo("on");
    }

    @Test
    void aServerItCannotReachFailsTheStartWithoutShowingThePassword() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Future<PostgresLedger> opening = PostgresLedger.open(vertx, "postgresql://postgres:pw-secret@127.0.0.1:" + closed + "/x", 2, clock, chain);

        Throwable failure = opening.transform(Future::succeededFuture).toCompletionStage().toCompletableFuture().get().cause();
        assertThat(failure).isNotNull();
        assertThat(failure.getMessage()).contains("127.0.0.1:" + closed).doesNotContain("pw-secret");
        assertThat(PostgresLedger.open(vertx, "postgresql://u:pw-secret@h/db?bad", 2, clock, chain).cause().getMessage())
                .contains("ledger.url").doesNotContain("pw-secret");
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
        IdempotencyStore.Claim first = await(ledger.idempotency().begin("k", "h", clock.instant(), UNTIL));
        await(ledger.idempotency().complete("k", first.attempt(), new IdempotencyStore.Reply(200,
                MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json"), Buffer.buffer("{}")), UNTIL));

        IdempotencyStore.Claim again = await(reopen().idempotency().begin("k", "h", clock.instant(), UNTIL));

        assertThat(again.outcome()).isEqualTo(IdempotencyStore.Outcome.REPLAY);
        assertThat(again.reply().headers().get("content-type")).isEqualTo("application/json");
        assertThat(again.reply().body().toString()).isEqualTo("{}");
    }

    @Test
    void attemptInFlightWhenItsProcessStoppedIsTakenOverUnderTheSameAttempt() {
        IdempotencyStore.Claim first = await(ledger.idempotency().begin("k", "h", clock.instant(), UNTIL));
        put("b", 1000, "none");
        await(ledger.reserve(new Reservation("res_" + first.attempt(), "b", 300, UNTIL, false)));

        Ledger next = reopen();
        IdempotencyStore.Claim retry = await(next.idempotency().begin("k", "h", clock.instant(), UNTIL));

        assertThat(retry.outcome()).isEqualTo(IdempotencyStore.Outcome.GO);
        assertThat(retry.attempt()).isEqualTo(first.attempt());
        Hold hold = await(next.reserve(new Reservation("res_" + retry.attempt(), "b", 300, UNTIL, false)));
        assertThat(hold.granted()).isTrue();
        assertThat(hold.budget().reservedMicros()).as("the retry collapses onto the first hold").isEqualTo(300);
    }

    @Test
    void attemptOfAReplicaThatStoppedHeartbeatingIsTakenOverAfterTheLease() {
        // this ledger heartbeats at NOON; the replica lives past the lease and sees it silent
        await(ledger.idempotency().begin("k", "h", clock.instant(), UNTIL));
        MutableClock later = new MutableClock(clock.instant().plus(LeasedIdempotency.LEASE).minusSeconds(1));
        Ledger other = replica(later);

        assertThat(await(other.idempotency().begin("k", "h", later.instant(), UNTIL)).outcome())
                .as("within the lease the owner counts as alive").isEqualTo(IdempotencyStore.Outcome.IN_FLIGHT);
        later.advance(Duration.ofSeconds(2));
        assertThat(await(other.idempotency().begin("k", "h", later.instant(), UNTIL)).outcome())
                .isEqualTo(IdempotencyStore.Outcome.GO);
        assertThat(await(ledger.idempotency().begin("k", "h", clock.instant(), UNTIL)).outcome())
                .as("now the replica owns it").isEqualTo(IdempotencyStore.Outcome.IN_FLIGHT);
    }

    @Test
    void attemptInFlightInALiveReplicaIsNotTakenOver() {
        await(ledger.idempotency().begin("k", "h", clock.instant(), UNTIL));

        assertThat(await(replica(clock).idempotency().begin("k", "h", clock.instant(), UNTIL)).outcome())
                .isEqualTo(IdempotencyStore.Outcome.IN_FLIGHT);
    }

    @Test
    void twoReplicasGrantExactlyWhatFitsBetweenThem() {
        put("b", 1000, "none");
        Ledger other = replica(clock);
        List<Future<Hold>> asks = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Ledger via = i % 2 == 0 ? ledger : other;
            asks.add(via.reserve(new Reservation("r" + i, "b", 30, UNTIL, false)));
        }

        long granted = asks.stream().filter(f -> await(f).granted()).count();

        assertThat(granted).as("1000 / 30 fits 33 holds, whichever replica asked").isEqualTo(33);
        assertThat(await(other.budget("b")).reservedMicros()).isEqualTo(990);
        for (int i = 0; i < 200; i++) {
            Ledger via = i % 3 == 0 ? ledger : other;
            via.commit("r" + i, 30);
        }
        BudgetState during = await(ledger.budget("b"));
        assertThat(during.reservedMicros() + during.committedMicros()).as("one snapshot, read while settlements land")
                .isLessThanOrEqualTo(1000);
    }

    @Test
    void twoReplicasCreatingOneBudgetAtOnceCreateItOnce() {
        Ledger other = replica(clock);
        List<Future<BudgetState>> asks = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Ledger via = i % 2 == 0 ? ledger : other;
            asks.add(via.createBudget(new BudgetSpec("new", 1000 + i, "none", "UTC", null, false)));
        }

        long created = asks.stream().filter(f -> {
            try {
                return f.toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS) != null;
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(((LedgerException) e.getCause()).kind()).isEqualTo(LedgerException.Kind.BUDGET_EXISTS);
                return false;
            } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
                throw new AssertionError(e);
            }
        }).count();

        assertThat(created).as("whichever replica asked first, one creation").isEqualTo(1);
        assertThat(types(auditRecords("new"))).containsExactly("budget.put");
    }

    @Test
    void settlementsFromBothReplicasLandExactlyOnce() {
        put("b", 100_000, "none");
        Ledger other = replica(clock);
        for (int i = 0; i < 100; i++) {
            reserve("b", "r" + i, 100);
        }
        List<Future<?>> settles = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            settles.add(ledger.commit("r" + i, 70));
            settles.add(other.commit("r" + i, 70));
        }

        long ok = settles.stream().filter(f -> {
            try {
                await(f);
                return true;
            } catch (AssertionError e) {
                return false;
            }
        }).count();

        assertThat(ok).as("one of each pair of commits wins").isEqualTo(100);
        BudgetState after = await(other.budget("b"));
        assertThat(after.committedMicros()).isEqualTo(7000);
        assertThat(after.reservedMicros()).isZero();
    }

    @Test
    void sweepersOnTwoReplicasSettleEachExpiredHoldOnce() {
        put("b", 100_000, "none");
        Ledger other = replica(clock);
        for (int i = 0; i < 50; i++) {
            await(ledger.reserve(new Reservation("r" + i, "b", 100, UNTIL, i % 2 == 0)));
        }

        Future<List<Expired>> a = ledger.sweep(UNTIL);
        Future<List<Expired>> b = other.sweep(UNTIL);

        assertThat(await(a).size() + await(b).size()).isEqualTo(50);
        BudgetState after = await(ledger.budget("b"));
        assertThat(after.reservedMicros()).isZero();
        assertThat(after.committedMicros()).as("the 25 forwarded holds are spent").isEqualTo(2500);
    }

    @Test
    void twoReplicasAdmitExactlyTheStepsOfARunBetweenThem() {
        put("a", 1_000_000, "none");
        put("b", 1_000_000, "none");
        Ledger other = replica(clock);
        RunLimit run = new RunLimit("run-shared", 7, 0);
        List<Future<Hold>> asks = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            Ledger via = i % 2 == 0 ? ledger : other;
            // two budgets too, so that only the run's own row keeps the count
            String budget = i % 4 < 2 ? "a" : "b";
            asks.add(via.reserve(new Reservation("r" + i, budget, 10, UNTIL, false, null, run)));
        }

        long granted = asks.stream().filter(f -> await(f).granted()).count();

        assertThat(granted).as("max_steps 7, whichever replica and budget asked").isEqualTo(7);
        assertThat(asks.stream().map(f -> await(f).runRefusal()).filter(r -> r != null).distinct().toList())
                .containsExactly(RunLimit.RUN_STEP_LIMIT);
        assertThat(await(other.run("run-shared")).steps()).isEqualTo(7);
        assertThat(await(other.run("run-shared")).reservedMicros()).isEqualTo(70);
        assertThat(await(ledger.budget("a")).reservedMicros() + await(ledger.budget("b")).reservedMicros()).isEqualTo(70);
    }

    @Test
    void sweepersOnTwoReplicasSettleARunsExpiredHoldsOnce() {
        put("b", 100_000, "none");
        Ledger other = replica(clock);
        RunLimit run = new RunLimit("run-1", 0, 0);
        for (int i = 0; i < 20; i++) {
            await(ledger.reserve(new Reservation("r" + i, "b", 100, UNTIL, i % 2 == 0, null, run)));
        }

        Future<List<Expired>> a = ledger.sweep(UNTIL);
        Future<List<Expired>> b = other.sweep(UNTIL);

        assertThat(await(a).size() + await(b).size()).isEqualTo(20);
        assertThat(await(ledger.run("run-1")).reservedMicros()).isZero();
        assertThat(await(ledger.run("run-1")).committedMicros()).as("the 10 forwarded holds are spent").isEqualTo(1000);
        assertThat(await(ledger.run("run-1")).steps()).isEqualTo(20);
    }

    @Test
    void theDatabasesRunCheckIsRunLimitsRule() throws Exception {
        put("b", Long.MAX_VALUE / 2, "none");
        List<RunState> states = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (long steps : new long[] {0, 1, 2}) {
            for (long reserved : new long[] {0, 400}) {
                for (long committed : new long[] {0, 600, 1001}) {
                    for (String stop : new String[] {null, "stop"}) {
                        for (int variant = 0; variant < 12; variant++) {
                            String id = "run-" + states.size();
                            states.add(new RunState(id, "b", steps, reserved, committed, clock.instant(), clock.instant(), stop));
                            values.add("('" + id + "', 'b', " + steps + ", " + reserved + ", " + committed + ", 0, 0, "
                                    + (stop == null ? "NULL" : "'" + stop + "'") + ")");
                        }
                    }
                }
            }
        }
        db.execute("INSERT INTO runs (id, budget_id, steps, reserved, committed, first_seen, last_seen, stop_reason) VALUES "
                + String.join(", ", values));
        long[][] limits = {{0, 0}, {2, 0}, {0, 1000}, {2, 1000}};
        long[] amounts = {0, 1, 400};
        List<Future<Hold>> asks = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < states.size(); i++) {
            RunState state = states.get(i);
            RunLimit limit = new RunLimit(state.id(), limits[i % 12 % 4][0], limits[i % 12 % 4][1]);
            long amount = amounts[i % 12 / 4];
            expected.add(limit.refusal(state, amount));
            asks.add(ledger.reserve(new Reservation("r" + i, "b", amount, UNTIL, false, null, limit)));
        }

        for (int i = 0; i < asks.size(); i++) {
            Hold hold = await(asks.get(i));
            assertThat(hold.runRefusal()).as("run %s", states.get(i)).isEqualTo(expected.get(i));
            assertThat(hold.granted()).as("run %s", states.get(i)).isEqualTo(expected.get(i) == null);
        }
    }

    @Test
    void aDatabaseOfTheVersionBeforeRunsIsMigratedAndKeepsItsHolds() throws Exception {
        try (TestPostgres before = TestPostgres.freshSchema()) {
            before.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
            for (int v = 1; v <= 2; v++) {
                for (String ddl : PostgresSchema.MIGRATIONS.get(v - 1)) {
                    before.execute(ddl);
                }
                before.execute("INSERT INTO schema_version (version) VALUES (" + v + ")");
            }
            before.execute("INSERT INTO budgets (id, spec, limit_micros, reserved) VALUES ('b', '"
                    + new BudgetSpec("b", 1000, "none", "UTC", null, false).toJson().encode() + "', 1000, 300)");
            before.execute("INSERT INTO reservations (id, budget_id, amount, state, forwarded, expires_at, created_at) "
                    + "VALUES ('old', 'b', 300, 'held', false, " + UNTIL.toEpochMilli() + ", 0)");

            Ledger migrated = await(PostgresLedger.open(vertx, before.url(), 2, clock, chain));
            try {
                Hold inRun = await(migrated.reserve(new Reservation("new", "b", 200, UNTIL, false, null, new RunLimit("run-1", 0, 0))));
                assertThat(inRun.granted()).isTrue();
                assertThat(await(migrated.commit("old", 250)).budget().committedMicros()).isEqualTo(250);
                await(migrated.commit("new", 150));
                assertThat(await(migrated.run("run-1")).committedMicros()).isEqualTo(150);
            } finally {
                await(migrated.close());
            }
            assertThat(before.execute("SELECT max(version) FROM schema_version")).isEqualTo(PostgresSchema.MIGRATIONS.size());
        }
    }

    /** Collects what the lanes log: a batch that failed (a deadlock among them) and was run again one call at a time. */
    private static final class LaneFailures extends Handler implements AutoCloseable {
        final List<String> messages = new CopyOnWriteArrayList<>();
        private final Logger logger = Logger.getLogger(PostgresLanes.class.getName());

        LaneFailures() {
            logger.addHandler(this);
        }

        @Override
        public void publish(LogRecord record) {
            messages.add(record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }

    @Test
    void twoReplicasReservingOnSiblingsAndOnTheirParentAtOnceNeverDeadlockAndAdmitExactlyWhatFits() throws Exception {
        List<Ledger> replicas = List.of(ledger, replica(clock));
        try (LaneFailures failures = new LaneFailures()) {
            for (int round = 0; round < 3; round++) {
                siblingsAndTheirParentAtOnce(replicas, "t" + round + "-");
            }
            assertThat(failures.messages).as("no batch failed (a deadlock would)").isEmpty();
        }
    }

    /** 250 calls of 10 on four siblings fitting 20 each and on their parent fitting 30, then settlements with more calls. */
    private void siblingsAndTheirParentAtOnce(List<Ledger> replicas, String prefix) {
        // Leaves sort on both sides of their parent, so a lock taken leaf first would meet one taken in id order.
        List<String> keys = List.of(prefix + "a-key0", prefix + "a-key1", prefix + "z-key2", prefix + "z-key3");
        String team = prefix + "m-team";
        put(team, 30 * 10, "none");
        for (String key : keys) {
            putChild(key, 20 * 10, team);
        }
        List<Future<Hold>> asks = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            String budget = i < 200 ? keys.get(i % 4) : team;
            asks.add(replicas.get(i % 2).reserve(new Reservation(prefix + "r" + i, budget, 10, UNTIL, false)));
        }
        List<String> granted = new ArrayList<>();
        long direct = 0;
        for (int i = 0; i < asks.size(); i++) {
            Hold hold = await(asks.get(i));
            if (hold.granted()) {
                granted.add(prefix + "r" + i);
                direct += i >= 200 ? 10 : 0;
            } else {
                assertThat(hold.refusedBy()).isIn(team, hold.budget().spec().id());
            }
        }
        assertThat(granted).hasSize(30);
        assertThat(await(ledger.budget(team)).reservedMicros()).isEqualTo(300);
        long children = 0;
        for (String key : keys) {
            long held = await(ledger.budget(key)).reservedMicros();
            assertThat(held).as(key).isLessThanOrEqualTo(200);
            children += held;
        }
        assertThat(children + direct).isEqualTo(300);

        // Settling on every level while more calls arrive on every level, from both replicas.
        List<Future<?>> more = new ArrayList<>();
        for (int i = 0; i < granted.size(); i++) {
            more.add(replicas.get(i % 2).commit(granted.get(i), 10));
            more.add(replicas.get((i + 1) % 2).reserve(new Reservation(prefix + "s" + i, i % 5 == 4 ? team : keys.get(i % 4), 10,
                    UNTIL, false)));
        }
        for (Future<?> f : more) {
            if (await(f) instanceof Hold hold) {
                assertThat(hold.granted()).as("the team is spent").isFalse();
            }
        }
        BudgetState after = await(ledger.budget(team));
        assertThat(after.committedMicros()).isEqualTo(300);
        assertThat(after.reservedMicros()).isZero();
    }

    @Test
    void aBudgetMovedBetweenParentsWhileReplicasReserveUnderItHoldsEveryCallOnOneWholePath() throws Exception {
        put("org1", 1_000_000, "none");
        put("org2", 1_000_000, "none");
        putChild("team", 1_000_000, "org1");
        putChild("key", 1_000_000, "team");
        Ledger other = replica(clock);
        List<Future<?>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            calls.add((i % 2 == 0 ? ledger : other).reserve(new Reservation("r" + i, "key", 1, UNTIL, false)));
            if (i % 10 == 0) {
                calls.add(other.putBudget(new BudgetSpec("team", 1_000_000, "none", "UTC", null, false, null, null,
                        i % 20 == 0 ? "org2" : "org1")));
            }
        }
        for (Future<?> f : calls) {
            if (await(f) instanceof Hold hold) {
                assertThat(hold.granted()).isTrue();
                assertThat(hold.path()).extracting(b -> b.spec().id()).first().isEqualTo("key");
                assertThat(hold.path()).hasSize(3);
            }
        }
        assertThat(await(ledger.budget("org1")).reservedMicros() + await(ledger.budget("org2")).reservedMicros()).isEqualTo(200);
        for (int i = 0; i < 200; i++) {
            calls.add((i % 2 == 0 ? other : ledger).commit("r" + i, 1));
        }
        for (Future<?> f : calls) {
            await(f);
        }
        BudgetState org1 = await(ledger.budget("org1"));
        BudgetState org2 = await(ledger.budget("org2"));
        assertThat(org1.reservedMicros() + org2.reservedMicros()).as("every hold settled on the root it was taken on").isZero();
        assertThat(org1.committedMicros() + org2.committedMicros()).isEqualTo(200);
        assertThat(await(ledger.budget("team")).committedMicros()).isEqualTo(200);
    }

    @Test
    void replicasChangingParentsAtOnceNeverMakeACycle() throws Exception {
        put("a", 100, "none");
        put("b", 100, "none");
        Ledger other = replica(clock);

        Future<BudgetState> aUnderB = ledger.putBudget(new BudgetSpec("a", 100, "none", "UTC", null, false, null, null, "b"));
        Future<BudgetState> bUnderA = other.putBudget(new BudgetSpec("b", 100, "none", "UTC", null, false, null, null, "a"));

        List<Boolean> done = new ArrayList<>();
        for (Future<BudgetState> f : List.of(aUnderB, bUnderA)) {
            done.add(f.transform(Future::succeededFuture).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).succeeded());
        }
        assertThat(done).containsExactlyInAnyOrder(true, false);
        assertThat(done.get(0) ? failureKind(bUnderA) : failureKind(aUnderB)).isEqualTo(LedgerException.Kind.BUDGET_CYCLE);
    }

    @Test
    void aDatabaseOfTheVersionBeforeTreesIsMigratedAndItsBudgetsTakeParents() throws Exception {
        try (TestPostgres before = TestPostgres.freshSchema()) {
            before.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
            for (int v = 1; v <= 3; v++) {
                for (String ddl : PostgresSchema.MIGRATIONS.get(v - 1)) {
                    before.execute(ddl);
                }
                before.execute("INSERT INTO schema_version (version) VALUES (" + v + ")");
            }
            before.execute("INSERT INTO budgets (id, spec, limit_micros, reserved) VALUES ('b', '"
                    + new BudgetSpec("b", 1000, "none", "UTC", null, false).toJson().encode() + "', 1000, 300)");
            before.execute("INSERT INTO reservations (id, budget_id, amount, state, forwarded, expires_at, created_at) "
                    + "VALUES ('old', 'b', 300, 'held', false, " + UNTIL.toEpochMilli() + ", 0)");

            Ledger migrated = await(PostgresLedger.open(vertx, before.url(), 2, clock, chain));
            try {
                await(migrated.putBudget(new BudgetSpec("org", 2000, "none", "UTC", null, false)));
                await(migrated.putBudget(new BudgetSpec("b", 1000, "none", "UTC", null, false, null, null, "org")));
                assertThat(await(migrated.commit("old", 250)).path()).as("a hold from before keeps its one level").hasSize(1);
                assertThat(await(migrated.reserve(new Reservation("new", "b", 200, UNTIL, false))).path())
                        .extracting(BudgetState::reservedMicros).containsExactly(200L, 200L);
                assertThat(await(migrated.commit("new", 150)).path()).extracting(BudgetState::committedMicros).containsExactly(400L, 150L);
            } finally {
                await(migrated.close());
            }
            assertThat(before.execute("SELECT max(version) FROM schema_version")).isEqualTo(PostgresSchema.MIGRATIONS.size());
        }
    }

    @Test
    void windowRollsOnceWhenTwoReplicasCrossTheBoundary() {
        put("b", 1000, "daily");
        reserve("b", "r1", 800);
        await(ledger.commit("r1", 800));
        Ledger other = replica(clock);
        clock.set(Instant.parse("2024-03-16T00:00:00Z"));

        Future<Hold> x = ledger.reserve(new Reservation("x", "b", 600, UNTIL.plus(Duration.ofDays(1)), false));
        Future<Hold> y = other.reserve(new Reservation("y", "b", 600, UNTIL.plus(Duration.ofDays(1)), false));

        assertThat(List.of(await(x).granted(), await(y).granted())).containsExactlyInAnyOrder(true, false);
        BudgetState after = await(other.budget("b"));
        assertThat(after.committedMicros()).isZero();
        assertThat(after.reservedMicros()).isEqualTo(600);
        assertThat(after.window().start()).isEqualTo(Instant.parse("2024-03-16T00:00:00Z"));
    }
}
