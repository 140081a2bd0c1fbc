package io.spendguard.proxy.ledger.postgres;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.audit.AuditLog;
import io.spendguard.proxy.engine.AuditEvents;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.BudgetWindow;
import io.spendguard.proxy.engine.Money;
import io.spendguard.proxy.ledger.IdempotencyStore;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.LedgerBackend;
import io.spendguard.proxy.ledger.LedgerException;
import io.spendguard.proxy.ledger.RunLimit;
import io.spendguard.proxy.ledger.RunState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The shared ledger for many replicas ({@code ledger.kind: postgres}) over the reactive
 * {@code vertx-pg-client}. The schema is created or migrated at start ({@link PostgresSchema}).
 * Reservation is one conditional update of the budget row
 * ({@code committed + reserved + amount <= limit_micros}) in the database, so any number of proxy
 * processes on one database never overspend; every write to a budget goes through that budget's
 * lane ({@link PostgresLanes}: group commit, one transaction per batch, the budget row locked
 * first), and is acknowledged only after its transaction committed with {@code synchronous_commit}
 * on. Window rolls and sweeps are conditional updates, so several replicas may run them at once.
 * Each change's audit records are written in its transaction ({@link PostgresAudit}). Agent runs are
 * rows of their own ({@code runs}): a reservation under a run locks the run's row after the budget's,
 * checks {@link RunLimit#refusal} and counts the step in the same statement as the budget's hold, and
 * a settlement or expiry moves the run's money with the budget's, so replicas sharing the database
 * never let a run past its limits.
 */
public final class PostgresLedger extends LedgerBackend {
    private static final String BUDGET = "SELECT spec, reserved, committed, window_start, window_end FROM budgets WHERE id = $1";
    private static final String RUN = "SELECT id, budget_id, steps, reserved, committed, first_seen, last_seen, stop_reason FROM runs";
    /**
     * Finds or creates the run a call comes under and locks its row (after the budget row the lane
     * locked): a call counts as the run's latest whether or not it is admitted (so a run that is still
     * being called is never forgotten), and a run created by a stop takes the budget of its first call.
     */
    private static final String SEEN = """
            INSERT INTO runs (id, budget_id, first_seen, last_seen) VALUES ($1, $2, $3, $3)
            ON CONFLICT (id) DO UPDATE SET last_seen = GREATEST(runs.last_seen, excluded.last_seen),
              budget_id = coalesce(runs.budget_id, excluded.budget_id)""";
    /**
     * Takes a hold ($1 reservation, $2 budget, $3 amount) if the run ($7, null: none) lets it through
     * and the budget has room, then counts it against the run: one statement, so the calls of a batch
     * pipelined on one connection each see the ones before. The run's check is
     * {@link RunLimit#refusal} with $8 = max steps and $9 = max µUSD (0: no limit), on the run as
     * {@link #SEEN} left it; with no run it passes.
     */
    private static final String RESERVE = """
            WITH ex AS (SELECT budget_id, amount, state FROM reservations WHERE id = $1::text),
            run AS (SELECT budget_id, steps, reserved, committed, first_seen, last_seen, stop_reason FROM runs WHERE id = $7::text),
            fits AS (SELECT WHERE NOT EXISTS (SELECT 1 FROM ex) AND ($7::text IS NULL OR EXISTS (
                       SELECT 1 FROM run WHERE stop_reason IS NULL
                         AND ($8::bigint = 0 OR steps < $8::bigint)
                         AND ($9::bigint = 0 OR reserved::numeric + committed + $3::bigint <= $9::bigint)))),
            b AS (UPDATE budgets SET reserved = reserved + $3::bigint
                  WHERE id = $2::text AND committed::numeric + reserved + $3::bigint <= limit_micros AND EXISTS (SELECT FROM fits)
                  RETURNING reserved, committed),
            ins AS (INSERT INTO reservations (id, budget_id, amount, state, forwarded, expires_at, created_at, run_id)
                    SELECT $1::text, $2::text, $3::bigint, 'held', $4::boolean, $5::bigint, $6::bigint, $7::text FROM b),
            step AS (UPDATE runs SET steps = runs.steps + 1,
                       reserved = LEAST(runs.reserved::numeric + $3::bigint, 9223372036854775807)::bigint
                     FROM b WHERE runs.id = $7::text)
            SELECT b.reserved IS NOT NULL, coalesce(b.reserved, cur.reserved), coalesce(b.committed, cur.committed),
                   ex.budget_id, ex.amount, ex.state,
                   run.budget_id, run.steps, run.reserved, run.committed, run.first_seen, run.last_seen, run.stop_reason
            FROM budgets cur LEFT JOIN b ON true LEFT JOIN ex ON true LEFT JOIN run ON true WHERE cur.id = $2::text""";
    /** Moves a settled hold out of its reservation's run ({@code r}: run_id, amount, spent) as the budget's is moved. */
    private static final String RUN_MOVE = """
            ru AS (UPDATE runs SET reserved = GREATEST(runs.reserved - r.amount, 0),
                     committed = LEAST(runs.committed::numeric + r.spent, 9223372036854775807)::bigint
                   FROM r WHERE runs.id = r.run_id)""";
    private static final String SETTLE = """
            WITH r AS (UPDATE reservations SET state = $2::text, spent = $3::bigint, settled_at = $4::bigint
                       WHERE id = $1::text AND state = 'held' RETURNING budget_id, amount, spent, run_id),
            b AS (UPDATE budgets SET reserved = GREATEST(budgets.reserved - r.amount, 0),
                    committed = LEAST(budgets.committed::numeric + r.spent, 9223372036854775807)::bigint
                  FROM r WHERE budgets.id = r.budget_id RETURNING budgets.reserved, budgets.committed),
            """ + RUN_MOVE + """

            SELECT r.amount, b.reserved, b.committed FROM r CROSS JOIN b""";
    private static final String EXPIRE = """
            WITH r AS (UPDATE reservations SET state = CASE WHEN forwarded THEN 'expired_committed' ELSE 'expired_released' END,
                         spent = CASE WHEN forwarded THEN amount ELSE 0 END, settled_at = $2::bigint
                       WHERE id = $1::text AND state = 'held' AND expires_at <= $3::bigint
                       RETURNING budget_id, amount, spent, forwarded, run_id),
            b AS (UPDATE budgets SET reserved = GREATEST(budgets.reserved - r.amount, 0),
                    committed = LEAST(budgets.committed::numeric + r.spent, 9223372036854775807)::bigint
                  FROM r WHERE budgets.id = r.budget_id RETURNING budgets.reserved, budgets.committed),
            """ + RUN_MOVE + """

            SELECT r.amount, r.forwarded, b.reserved, b.committed FROM r CROSS JOIN b""";
    /** Stops a run, creating it if unseen; returns it only when this call stopped it (a stopped run keeps its first reason). */
    private static final String STOP = """
            INSERT INTO runs (id, budget_id, first_seen, last_seen, stop_reason) VALUES ($1, $2, $3, $3, $4)
            ON CONFLICT (id) DO UPDATE SET stop_reason = excluded.stop_reason, budget_id = coalesce(runs.budget_id, excluded.budget_id)
            WHERE runs.stop_reason IS NULL
            RETURNING id, budget_id, steps, reserved, committed, first_seen, last_seen, stop_reason""";
    /**
     * Forgets idle runs that hold nothing and were not stopped. A run whose row another transaction
     * has locked (a call under it is being counted) is skipped, so forgetting never waits on, or
     * deadlocks with, a reservation; it is looked at again next time.
     */
    private static final String FORGET = """
            DELETE FROM runs WHERE id IN (
              SELECT id FROM runs
              WHERE last_seen < $1 AND reserved = 0 AND stop_reason IS NULL
                AND NOT EXISTS (SELECT 1 FROM reservations WHERE run_id = runs.id AND state = 'held')
              FOR UPDATE SKIP LOCKED)""";

    private final Vertx vertx;
    private final Pool pool;
    private final Clock clock;
    private final PostgresLanes<Stored> lanes;
    private final PostgresIdempotency idempotency;
    private final PostgresAudit audit;
    /** Which budget a reservation holds against (never changes), so settling finds its lane without a query. */
    private final Cache<String, String> budgetOf = Caffeine.newBuilder().maximumSize(100_000).build();

    private PostgresLedger(Vertx vertx, Pool pool, Clock clock, AuditChain chain) {
        this.vertx = vertx;
        this.pool = pool;
        this.clock = clock;
        this.audit = new PostgresAudit(vertx, chain, pool);
        this.lanes = new PostgresLanes<>(vertx, pool, this::lock, audit);
        this.idempotency = new PostgresIdempotency(pool, "ins_" + UUID.randomUUID());
    }

    /**
     * Connects to {@code url} ({@code postgresql://user:password@host:port/db}) with up to
     * {@code poolSize} connections, creates or migrates the schema, and registers this process as a
     * live instance; audit records are sealed by {@code chain}. Error messages never include the password.
     */
    public static Future<PostgresLedger> open(Vertx vertx, String url, int poolSize, Clock clock, AuditChain chain) {
        PgConnectOptions connect;
        try {
            connect = PgConnectOptions.fromUri(url);
        } catch (RuntimeException e) {
            return Future.failedFuture(new IllegalArgumentException(
                    "ledger.url: not a PostgreSQL URL (expected: postgresql://user:password@host:5432/db)"));
        }
        connect.setCachePreparedStatements(true).setPipeliningLimit(256);
        Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(poolSize)).connectingTo(connect).using(vertx).build();
        PostgresLedger ledger = new PostgresLedger(vertx, pool, clock, chain);
        return PostgresSchema.migrate(pool)
                .compose(v -> ledger.idempotency.join(vertx, clock))
                .map(ledger)
                .recover(e -> pool.close().transform(x -> Future.failedFuture(new IllegalStateException(
                        "ledger: cannot open PostgreSQL at " + connect.getHost() + ":" + connect.getPort() + "/" + connect.getDatabase()
                                + ": " + e.getMessage(), e))));
    }

    /** A budget row as stored, before any window roll. */
    private record Stored(BudgetSpec spec, long reserved, long committed, BudgetWindow window) {
        /** The state at {@code now}: a window that has ended reads as the new one with no spend. */
        BudgetState at(Instant now) {
            if (window.end() != null && !now.isBefore(window.end())) {
                return new BudgetState(spec, reserved, 0, BudgetWindow.of(spec.window(), spec.timezone(), now));
            }
            return new BudgetState(spec, reserved, committed, window);
        }

        BudgetState with(long reserved, long committed) {
            return new BudgetState(spec, reserved, committed, window);
        }
    }

    private static Stored stored(Row r) {
        return new Stored(BudgetSpec.fromJson(new JsonObject(r.getString(0))), r.getLong(1), r.getLong(2),
                new BudgetWindow(instant(r.getLong(3)), instant(r.getLong(4))));
    }

    private static Instant instant(Long millis) {
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }

    private static Long millis(Instant instant) {
        return instant == null ? null : instant.toEpochMilli();
    }

    private static Row first(RowSet<Row> rows) {
        var it = rows.iterator();
        return it.hasNext() ? it.next() : null;
    }

    /** A lane's first step: locks the budget row and moves it to the current window if the old one has ended. */
    private Future<Stored> lock(SqlConnection conn, String id) {
        return conn.preparedQuery(BUDGET + " FOR UPDATE").execute(Tuple.of(id)).compose(rows -> {
            Row row = first(rows);
            if (row == null) {
                return Future.succeededFuture(null);
            }
            Stored s = stored(row);
            BudgetState now = s.at(clock.instant());
            if (now.window().equals(s.window())) {
                return Future.succeededFuture(s);
            }
            return conn.preparedQuery("UPDATE budgets SET committed = 0, window_start = $2, window_end = $3 WHERE id = $1 AND window_end = $4")
                    .execute(Tuple.of(id, millis(now.window().start()), millis(now.window().end()), millis(s.window().end())))
                    .map(v -> new Stored(s.spec(), s.reserved(), 0, now.window()));
        });
    }

    @Override
    public Future<BudgetState> deleteBudget(String id) {
        return lanes.submit(id, (conn, old, recorded) -> {
            if (old == null) {
                return Future.failedFuture(unknownBudget(id));
            }
            BudgetState last = old.at(clock.instant());
            if (last.reservedMicros() > 0) {
                return Future.failedFuture(Ledger.stillHeld(id, last.reservedMicros()));
            }
            // Its settled reservations go with it (nothing is held, or the delete was refused above).
            return conn.preparedQuery("DELETE FROM reservations WHERE budget_id = $1").execute(Tuple.of(id))
                    .compose(v -> conn.preparedQuery("DELETE FROM budgets WHERE id = $1").execute(Tuple.of(id)))
                    .map(v -> {
                        recorded.accept(AuditEvents.budgetDeleted(last));
                        return last;
                    });
        });
    }

    @Override
    public Future<BudgetState> putBudget(BudgetSpec spec) {
        return lanes.submit(spec.id(), (conn, old, recorded) -> {
            boolean windowChanged = old == null || !old.spec().window().equals(spec.window())
                    || !old.spec().timezone().equals(spec.timezone());
            BudgetWindow window = windowChanged ? BudgetWindow.of(spec.window(), spec.timezone(), clock.instant()) : old.window();
            return conn.preparedQuery("""
                    INSERT INTO budgets (id, spec, limit_micros, window_start, window_end) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, limit_micros = excluded.limit_micros,
                      window_start = excluded.window_start, window_end = excluded.window_end
                    RETURNING reserved, committed""")
                    .execute(Tuple.of(spec.id(), spec.toJson().encode(), spec.limitMicros(), millis(window.start()), millis(window.end())))
                    .map(rows -> {
                        Row r = first(rows);
                        recorded.accept(AuditEvents.budgetPut(spec));
                        return new BudgetState(spec, r.getLong(0), r.getLong(1), window);
                    });
        });
    }

    @Override
    public Future<BudgetState> createBudget(BudgetSpec spec) {
        return lanes.submit(spec.id(), (conn, old, recorded) -> {
            if (old != null) {
                return Future.failedFuture(Ledger.exists(spec.id()));
            }
            BudgetWindow window = BudgetWindow.of(spec.window(), spec.timezone(), clock.instant());
            // No row to lock yet: the primary key decides between replicas creating the same id at once.
            return conn.preparedQuery("""
                    INSERT INTO budgets (id, spec, limit_micros, window_start, window_end) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (id) DO NOTHING RETURNING reserved, committed""")
                    .execute(Tuple.of(spec.id(), spec.toJson().encode(), spec.limitMicros(), millis(window.start()), millis(window.end())))
                    .map(rows -> {
                        if (first(rows) == null) {
                            throw Ledger.exists(spec.id());
                        }
                        recorded.accept(AuditEvents.budgetPut(spec));
                        return new BudgetState(spec, 0, 0, window);
                    });
        });
    }

    @Override
    public Future<BudgetState> budget(String id) {
        return pool.preparedQuery(BUDGET).execute(Tuple.of(id)).map(rows -> {
            Row row = first(rows);
            if (row == null) {
                throw unknownBudget(id);
            }
            return stored(row).at(clock.instant());
        });
    }

    @Override
    public Future<List<BudgetState>> budgets() {
        return pool.query("SELECT spec, reserved, committed, window_start, window_end FROM budgets ORDER BY id").execute().map(rows -> {
            List<BudgetState> out = new ArrayList<>();
            Instant now = clock.instant();
            rows.forEach(row -> out.add(stored(row).at(now)));
            return out;
        });
    }

    @Override
    public Future<Hold> reserve(Reservation r) {
        RunLimit limit = r.run();
        return lanes.submit(r.budgetId(), (conn, budget, recorded) -> {
            if (budget == null) {
                return Future.failedFuture(unknownBudget(r.budgetId()));
            }
            long now = clock.millis();
            // Both statements are sent at once: the connection runs them in order, after those of the calls before.
            Future<?> seen = limit == null ? Future.succeededFuture()
                    : conn.preparedQuery(SEEN).execute(Tuple.of(limit.runId(), r.budgetId(), now));
            Future<RowSet<Row>> reserved = conn.preparedQuery(RESERVE).execute(Tuple.of(r.id(), r.budgetId(), r.amountMicros(),
                    r.forwarded(), r.expiresAt().toEpochMilli(), now, limit == null ? null : limit.runId(),
                    limit == null ? 0L : limit.maxSteps(), limit == null ? 0L : limit.maxMicros()));
            return seen.compose(v -> reserved).map(rows -> {
                Row row = first(rows);
                BudgetState after = budget.with(row.getLong(1), row.getLong(2));
                RunState run = limit == null ? null : new RunState(limit.runId(), row.getString(6), row.getLong(7), row.getLong(8),
                        row.getLong(9), instant(row.getLong(10)), instant(row.getLong(11)), row.getString(12));
                String heldBy = row.getString(3);
                if (heldBy != null) {
                    if (heldBy.equals(r.budgetId()) && row.getLong(4) == r.amountMicros() && "held".equals(row.getString(5))) {
                        return new Hold(true, after, run, null);
                    }
                    throw new LedgerException(LedgerException.Kind.DUPLICATE_RESERVATION, "reservation exists: " + r.id());
                }
                boolean granted = row.getBoolean(0);
                Hold hold;
                if (granted) {
                    budgetOf.put(r.id(), r.budgetId());
                    hold = new Hold(true, after, run == null ? null : stepped(run, r.amountMicros()), null);
                } else {
                    hold = new Hold(false, after, run, run == null ? null : limit.refusal(run, r.amountMicros()));
                }
                recorded.accept(r.auditOf(hold));
                return hold;
            });
        });
    }

    /** The run after one more admitted call holding {@code amount}. */
    private static RunState stepped(RunState run, long amount) {
        return new RunState(run.id(), run.budgetId(), run.steps() + 1, Money.add(run.reservedMicros(), amount), run.committedMicros(),
                run.firstSeen(), run.lastSeen(), run.stopReason());
    }

    private static RunState runState(Row r) {
        return new RunState(r.getString(0), r.getString(1), r.getLong(2), r.getLong(3), r.getLong(4), instant(r.getLong(5)),
                instant(r.getLong(6)), r.getString(7));
    }

    @Override
    public Future<RunState> run(String id) {
        return pool.preparedQuery(RUN + " WHERE id = $1").execute(Tuple.of(id)).map(rows -> {
            Row row = first(rows);
            if (row == null) {
                throw new LedgerException(LedgerException.Kind.UNKNOWN_RUN, "unknown run " + id);
            }
            return runState(row);
        });
    }

    @Override
    public Future<List<RunState>> runs(String budgetId, Boolean stopped, int limit) {
        return pool.preparedQuery(RUN + """
                 WHERE ($1::text IS NULL OR budget_id = $1) AND ($2::boolean IS NULL OR (stop_reason IS NOT NULL) = $2)
                ORDER BY last_seen DESC, id LIMIT $3""").execute(Tuple.of(budgetId, stopped, limit)).map(rows -> {
                    List<RunState> out = new ArrayList<>();
                    rows.forEach(row -> out.add(runState(row)));
                    return out;
                });
    }

    /**
     * Stops the run in a transaction of its own: it locks only the run row and then the audit head
     * (the order every reservation takes them in, after its budget row), and writes the
     * {@code run.stop} record when this call is the one that stopped it.
     */
    @Override
    public Future<RunState> stopRun(String id, String budgetId, String reason) {
        AuditChain.Head[] written = new AuditChain.Head[1];
        return pool.withTransaction(conn -> conn.preparedQuery(STOP).execute(Tuple.of(id, budgetId, clock.millis(), reason))
                .compose(rows -> {
                    Row row = first(rows);
                    if (row == null) {
                        return conn.preparedQuery(RUN + " WHERE id = $1").execute(Tuple.of(id)).map(again -> runState(first(again)));
                    }
                    RunState stopped = runState(row);
                    return audit.write(conn, List.of(AuditEvents.runStop(stopped))).map(head -> {
                        written[0] = head;
                        return stopped;
                    });
                })).onSuccess(run -> {
                    if (written[0] != null) {
                        audit.committed(written[0]);
                    }
                });
    }

    @Override
    public Future<Integer> forgetRuns(Instant idleBefore) {
        return pool.preparedQuery(FORGET).execute(Tuple.of(idleBefore.toEpochMilli())).map(RowSet::rowCount);
    }

    /** The budget a reservation holds against: from memory, else from its row; null when there is no such reservation. */
    private Future<String> budgetOf(String reservationId) {
        String known = budgetOf.getIfPresent(reservationId);
        if (known != null) {
            return Future.succeededFuture(known);
        }
        return pool.preparedQuery("SELECT budget_id FROM reservations WHERE id = $1").execute(Tuple.of(reservationId))
                .map(rows -> {
                    Row row = first(rows);
                    return row == null ? null : row.getString(0);
                });
    }

    /** Runs {@code op} in the lane of the reservation's budget; an unknown reservation is not held. */
    private <T> Future<T> inLaneOf(String reservationId, PostgresLanes.Op<Stored, T> op) {
        return budgetOf(reservationId).compose(budgetId -> budgetId == null
                ? Future.failedFuture(notHeld(reservationId)) : lanes.submit(budgetId, op));
    }

    @Override
    public Future<Void> forwarded(String reservationId) {
        return inLaneOf(reservationId, (conn, budget, recorded) -> conn
                .preparedQuery("UPDATE reservations SET forwarded = true WHERE id = $1 AND state = 'held'")
                .execute(Tuple.of(reservationId)).map(rows -> {
                    if (rows.rowCount() == 0) {
                        throw notHeld(reservationId);
                    }
                    return null;
                }));
    }

    @Override
    protected Future<Settled> settle(String reservationId, long spend, End end) {
        return inLaneOf(reservationId, (conn, budget, recorded) -> conn.preparedQuery(SETTLE)
                .execute(Tuple.of(reservationId, end.state(), spend, clock.millis())).map(rows -> {
                    Row row = first(rows);
                    if (row == null) {
                        throw notHeld(reservationId);
                    }
                    budgetOf.invalidate(reservationId);
                    long held = row.getLong(0);
                    BudgetState after = budget.with(row.getLong(1), row.getLong(2));
                    return settled(end, reservationId, after.spec().id(), held, spend, after, recorded);
                }));
    }

    @Override
    public Future<List<Expired>> sweep(Instant now) {
        return pool.preparedQuery("SELECT id, budget_id FROM reservations WHERE state = 'held' AND expires_at <= $1 ORDER BY expires_at LIMIT 1000")
                .execute(Tuple.of(now.toEpochMilli())).compose(rows -> {
                    List<Future<Expired>> expiring = new ArrayList<>();
                    for (Row row : rows) {
                        String id = row.getString(0);
                        String budgetId = row.getString(1);
                        expiring.add(lanes.submit(budgetId, (conn, budget, recorded) -> conn.preparedQuery(EXPIRE)
                                .execute(Tuple.of(id, clock.millis(), now.toEpochMilli())).map(settled -> {
                                    Row r = first(settled);
                                    budgetOf.invalidate(id);
                                    // another replica's sweeper or a late settlement got there first
                                    if (r == null) {
                                        return null;
                                    }
                                    long held = r.getLong(0);
                                    End end = End.expired(r.getBoolean(1));
                                    settled(end, id, budgetId, held, end.expirySpend(held), budget.with(r.getLong(2), r.getLong(3)),
                                            recorded);
                                    return new Expired(id, budgetId, held, r.getBoolean(1));
                                })));
                    }
                    return Future.join(expiring).map(all -> expiring.stream().map(Future::result).filter(e -> e != null).toList());
                })
                .compose(expired -> idempotency.prune(now).map(expired));
    }

    @Override
    public IdempotencyStore idempotency() {
        return idempotency;
    }

    @Override
    public AuditLog audit() {
        return audit;
    }

    @Override
    public Future<Void> close() {
        idempotency.stopHeartbeat();
        return lanes.close().transform(v -> audit.seal()).transform(v -> idempotency.leave()).transform(v -> pool.close());
    }
}
