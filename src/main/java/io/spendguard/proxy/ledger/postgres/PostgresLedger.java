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
import io.spendguard.proxy.ledger.BudgetTreeRules;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The shared ledger for many replicas ({@code ledger.kind: postgres}) over the reactive
 * {@code vertx-pg-client}. The schema is created or migrated at start ({@link PostgresSchema}).
 * Reservation is one conditional update of the budget rows on its path
 * ({@code committed + reserved + amount <= limit_micros} on every level, or on none), so any number
 * of proxy processes on one database never overspend; every write goes through a lane
 * ({@link PostgresLanes}: group commit, one transaction per batch, every budget row the batch needs
 * locked first, in order of id), and is acknowledged only after its transaction committed with
 * {@code synchronous_commit} on. Calls on a budget go through the lane of its tree's root (learnt from
 * the first call, and kept up to date by every later one), so one transaction and one flush covers
 * a batch of calls anywhere in the tree; budget definitions go through lanes of their own.
 *
 * <p>Budget trees (SPEC §11): a budget's {@code parent} is a column beside its definition. A lane's
 * lock step reads the path of every budget its calls name (a recursive query) and locks those rows
 * in the same statement, then checks that the locked rows still form those paths — should a parent
 * have moved in between, the batch is locked again ({@link PostgresLanes.Relock}). A reservation
 * stores the levels above its budget ({@code ancestors}), and its settlement or expiry moves every one
 * of them. A change of parent locks the budget and the new parent's path, so it is checked against
 * the tree as it is, and two changes that could make a cycle together queue on a row they share.
 * Window rolls and sweeps are conditional updates, so several replicas may run them at once.
 * Each change's audit records are written in its transaction ({@link PostgresAudit}). Agent runs are
 * rows of their own ({@code runs}): a reservation under a run locks the run's row after the budget
 * rows, checks {@link RunLimit#refusal} and counts the step in the same statement as the hold, and a
 * settlement or expiry moves the run's money with the budgets', so replicas sharing the database
 * never let a run past its limits.
 */
public final class PostgresLedger extends LedgerBackend {
    private static final String BUDGET = "SELECT spec, reserved, committed, window_start, window_end FROM budgets WHERE id = $1";
    /**
     * The ids on the paths of the budgets $1: each budget, its parent, and so on up to the root. Each
     * step up is one primary-key lookup (a scalar subquery, so it is never planned as a scan of the
     * table); the union stops at the roots.
     */
    private static final String PATHS = """
            WITH RECURSIVE up (id, parent) AS (
                SELECT id, parent FROM budgets WHERE id = ANY ($1::text[])
              UNION
                SELECT up.parent, (SELECT b.parent FROM budgets b WHERE b.id = up.parent) FROM up WHERE up.parent IS NOT NULL)
            SELECT id FROM up""";
    /**
     * A lane's lock step: the budgets $2 and the paths of the budgets $1 ({@link #PATHS}), locked in one
     * statement in order of id — the one order every transaction locks budget rows in. The paths are
     * read in the statement's snapshot; the rows come back as they are once locked, so the caller
     * checks they still link up.
     */
    private static final String LOCK = "SELECT id, spec, reserved, committed, window_start, window_end, parent FROM budgets "
            + "WHERE id = ANY (ARRAY(" + PATHS + ") || $2::text[]) ORDER BY id FOR UPDATE";
    /** How many levels lie below a budget (0: none), bounded just past the deepest tree allowed. */
    private static final String LEVELS_BELOW = """
            WITH RECURSIVE below (id, depth) AS (
                SELECT id, 1 FROM budgets WHERE parent = $1
              UNION ALL
                SELECT b.id, below.depth + 1 FROM budgets b JOIN below ON b.parent = below.id WHERE below.depth <= $2)
            SELECT coalesce(max(depth), 0) FROM below""";
    private static final String RUN = "SELECT id, budget_id, steps, reserved, committed, first_seen, last_seen, stop_reason FROM runs";
    /**
     * Finds or creates the run a call comes under and locks its row (after the budget rows the lane
     * locked): a call counts as the run's latest whether or not it is admitted (so a run that is still
     * being called is never forgotten), and a run created by a stop takes the budget of its first call.
     */
    private static final String SEEN = """
            INSERT INTO runs (id, budget_id, first_seen, last_seen) VALUES ($1, $2, $3, $3)
            ON CONFLICT (id) DO UPDATE SET last_seen = GREATEST(runs.last_seen, excluded.last_seen),
              budget_id = coalesce(runs.budget_id, excluded.budget_id)""";
    /**
     * Takes a hold ($1 reservation, $2 budget, $3 amount) on every level of the path $10 (the budget
     * first, then its ancestors; $11 is them without the budget, stored with the hold) if the run ($7,
     * null: none) lets it through and every level has room, then counts it against the run: one
     * statement, so the calls of a batch pipelined on one connection each see the ones before. The
     * run's check is {@link RunLimit#refusal} with $8 = max steps and $9 = max µUSD (0: no limit), on
     * the run as {@link #SEEN} left it; with no run it passes. One row per level, in path order: whether
     * the hold was taken, the level's totals after, and whether it had room.
     */
    private static final String RESERVE = """
            WITH ex AS (SELECT budget_id, amount, state FROM reservations WHERE id = $1::text),
            run AS (SELECT budget_id, steps, reserved, committed, first_seen, last_seen, stop_reason FROM runs WHERE id = $7::text),
            fits AS (SELECT WHERE NOT EXISTS (SELECT 1 FROM ex) AND ($7::text IS NULL OR EXISTS (
                       SELECT 1 FROM run WHERE stop_reason IS NULL
                         AND ($8::bigint = 0 OR steps < $8::bigint)
                         AND ($9::bigint = 0 OR reserved::numeric + committed + $3::bigint <= $9::bigint)))),
            path AS (SELECT p.id, p.ord, cur.reserved, cur.committed,
                            cur.committed::numeric + cur.reserved + $3::bigint <= cur.limit_micros AS room
                     FROM unnest($10::text[]) WITH ORDINALITY AS p (id, ord) JOIN budgets cur ON cur.id = p.id),
            b AS (UPDATE budgets SET reserved = reserved + $3::bigint
                  WHERE id = ANY ($10::text[]) AND EXISTS (SELECT FROM fits) AND NOT EXISTS (SELECT FROM path WHERE NOT room)
                  RETURNING id, reserved, committed),
            ins AS (INSERT INTO reservations (id, budget_id, ancestors, amount, state, forwarded, expires_at, created_at, run_id)
                    SELECT $1::text, $2::text, $11::text[], $3::bigint, 'held', $4::boolean, $5::bigint, $6::bigint, $7::text
                    WHERE EXISTS (SELECT FROM b)),
            step AS (UPDATE runs SET steps = runs.steps + 1,
                       reserved = LEAST(runs.reserved::numeric + $3::bigint, 9223372036854775807)::bigint
                     WHERE runs.id = $7::text AND EXISTS (SELECT FROM b))
            SELECT b.id IS NOT NULL, coalesce(b.reserved, path.reserved), coalesce(b.committed, path.committed), path.room,
                   ex.budget_id, ex.amount, ex.state,
                   run.budget_id, run.steps, run.reserved, run.committed, run.first_seen, run.last_seen, run.stop_reason
            FROM path LEFT JOIN b ON b.id = path.id LEFT JOIN ex ON true LEFT JOIN run ON true
            ORDER BY path.ord""";
    /** Moves a settled hold out of its reservation's run ({@code r}: run_id, amount, spent) as the budget's is moved. */
    private static final String RUN_MOVE = """
            ru AS (UPDATE runs SET reserved = GREATEST(runs.reserved - r.amount, 0),
                     committed = LEAST(runs.committed::numeric + r.spent, 9223372036854775807)::bigint
                   FROM r WHERE runs.id = r.run_id)""";
    /** A settled reservation's levels ({@code r}: budget_id, ancestors), leaf first. */
    private static final String LEVELS = """
            lv AS (SELECT l.id, l.ord FROM r, unnest(ARRAY[r.budget_id] || coalesce(r.ancestors, '{}'::text[]))
                     WITH ORDINALITY AS l (id, ord)),
            b AS (UPDATE budgets SET reserved = GREATEST(budgets.reserved - r.amount, 0),
                    committed = LEAST(budgets.committed::numeric + r.spent, 9223372036854775807)::bigint
                  FROM r, lv WHERE budgets.id = lv.id RETURNING budgets.id, budgets.reserved, budgets.committed),
            """;
    /** Settles a held reservation on every level it was taken on and on its run; one row per level, leaf first. */
    private static final String SETTLE = """
            WITH r AS (UPDATE reservations SET state = $2::text, spent = $3::bigint, settled_at = $4::bigint
                       WHERE id = $1::text AND state = 'held' RETURNING budget_id, ancestors, amount, spent, run_id),
            """ + LEVELS + RUN_MOVE + """

            SELECT r.amount, b.id, b.reserved, b.committed FROM r CROSS JOIN lv JOIN b ON b.id = lv.id ORDER BY lv.ord""";
    /** Expires a held reservation whose TTL has passed, as {@link #SETTLE} settles it. */
    private static final String EXPIRE = """
            WITH r AS (UPDATE reservations SET state = CASE WHEN forwarded THEN 'expired_committed' ELSE 'expired_released' END,
                         spent = CASE WHEN forwarded THEN amount ELSE 0 END, settled_at = $2::bigint
                       WHERE id = $1::text AND state = 'held' AND expires_at <= $3::bigint
                       RETURNING budget_id, ancestors, amount, spent, forwarded, run_id),
            """ + LEVELS + RUN_MOVE + """

            SELECT r.amount, b.id, b.reserved, b.committed, r.forwarded FROM r CROSS JOIN lv JOIN b ON b.id = lv.id ORDER BY lv.ord""";
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
    /** Calls, settlements and expiries, in the lane of their tree's root. */
    private final PostgresLanes<Need, Locked> lanes;
    /** Budget definitions (put, create, delete), in a lane per budget. */
    private final PostgresLanes<Need, Locked> definitions;
    private final PostgresIdempotency idempotency;
    private final PostgresAudit audit;
    /** The levels a reservation holds on, leaf first (never change), so settling finds its lane and rows without a query. */
    private final Cache<String, List<String>> levelsOf = Caffeine.newBuilder().maximumSize(100_000).build();
    /** The root of a budget's tree as last locked: which lane its calls queue in (a stale entry costs batching, never correctness). */
    private final Cache<String, String> rootOf = Caffeine.newBuilder().maximumSize(100_000).build();

    private PostgresLedger(Vertx vertx, Pool pool, Clock clock, AuditChain chain) {
        this.vertx = vertx;
        this.pool = pool;
        this.clock = clock;
        this.audit = new PostgresAudit(vertx, chain, pool);
        this.lanes = new PostgresLanes<>(vertx, pool, this::lock, audit);
        this.definitions = new PostgresLanes<>(vertx, pool, this::lock, audit);
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

    /**
     * What an operation needs locked before it runs: the path of budget {@code pathOf} (null: none),
     * and the budgets {@code rows} themselves.
     */
    private record Need(String pathOf, List<String> rows) { }

    /** The budget rows a lane's transaction locked, each moved to its current window, by id. */
    private record Locked(Map<String, Stored> rows) {
        Stored get(String id) {
            return rows.get(id);
        }

        /** The path of {@code id} among the locked rows, leaf first; null when {@code id} is not a budget. */
        List<Stored> path(String id) {
            Stored level = rows.get(id);
            if (level == null) {
                return null;
            }
            List<Stored> path = new ArrayList<>(2);
            path.add(level);
            while (level.spec().parent() != null && path.size() < BudgetSpec.MAX_DEPTH) {
                level = rows.get(level.spec().parent());
                if (level == null) {
                    break;
                }
                path.add(level);
            }
            return path;
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

    /**
     * A lane's first step: locks the rows and paths its operations need ({@link #LOCK}), checks every
     * path links up among the locked rows (else {@link PostgresLanes.Relock}: a parent moved between
     * the read and the lock), and moves each row to the current window if its old one has ended.
     */
    private Future<Locked> lock(SqlConnection conn, List<Need> needs) {
        Set<String> paths = new LinkedHashSet<>();
        Set<String> rows = new LinkedHashSet<>();
        for (Need need : needs) {
            if (need.pathOf() != null) {
                paths.add(need.pathOf());
            }
            rows.addAll(need.rows());
        }
        if (paths.isEmpty() && rows.isEmpty()) {
            return Future.succeededFuture(new Locked(Map.of()));
        }
        return conn.preparedQuery(LOCK).execute(Tuple.tuple()
                .addArrayOfString(paths.toArray(String[]::new)).addArrayOfString(rows.toArray(String[]::new))).compose(found -> {
            Map<String, Stored> locked = new HashMap<>();
            Map<String, String> parents = new HashMap<>();
            for (Row row : found) {
                locked.put(row.getString(0), stored(row.getString(1), row.getLong(2), row.getLong(3), row.getLong(4), row.getLong(5)));
                parents.put(row.getString(0), row.getString(6));
            }
            for (String leaf : paths) {
                String at = leaf;
                for (int depth = 1; parents.get(at) != null && depth < BudgetSpec.MAX_DEPTH; depth++) {
                    at = parents.get(at);
                    if (!locked.containsKey(at)) {
                        return Future.failedFuture(new PostgresLanes.Relock("the parents above " + leaf + " moved while it was locked"));
                    }
                }
                if (locked.containsKey(leaf)) {
                    rootOf.put(leaf, at);
                }
            }
            Instant now = clock.instant();
            Future<Void> rolled = Future.succeededFuture();
            for (Map.Entry<String, Stored> e : locked.entrySet()) {
                Stored s = e.getValue();
                BudgetState current = s.at(now);
                if (!current.window().equals(s.window())) {
                    e.setValue(new Stored(s.spec(), s.reserved(), 0, current.window()));
                    rolled = rolled.compose(v -> conn.preparedQuery(
                                    "UPDATE budgets SET committed = 0, window_start = $2, window_end = $3 WHERE id = $1 AND window_end = $4")
                            .execute(Tuple.of(e.getKey(), millis(current.window().start()), millis(current.window().end()),
                                    millis(s.window().end())))
                            .mapEmpty());
                }
            }
            return rolled.map(v -> new Locked(locked));
        });
    }

    private static Stored stored(String spec, long reserved, long committed, Long windowStart, Long windowEnd) {
        return new Stored(BudgetSpec.fromJson(new JsonObject(spec)), reserved, committed,
                new BudgetWindow(instant(windowStart), instant(windowEnd)));
    }

    /**
     * Refuses {@code spec} when its parent is unknown, in its own subtree, or would make the tree too
     * deep ({@link BudgetTreeRules#refusal}), from the rows locked for it (the budget and its new
     * parent's path) and the height of its subtree; a budget whose parent does not change is not
     * checked again.
     */
    private Future<Void> checkTree(SqlConnection conn, Locked locked, BudgetSpec spec) {
        Stored old = locked.get(spec.id());
        if (old != null && Objects.equals(old.spec().parent(), spec.parent())) {
            return Future.succeededFuture();
        }
        List<Stored> above = spec.parent() == null ? List.of() : locked.path(spec.parent());
        List<String> chain = above == null ? null : above.stream().map(s -> s.spec().id()).toList();
        Future<Integer> levels = old == null ? Future.succeededFuture(1)
                : conn.preparedQuery(LEVELS_BELOW).execute(Tuple.of(spec.id(), BudgetSpec.MAX_DEPTH)).map(rows -> 1 + first(rows).getInteger(0));
        return levels.compose(height -> {
            LedgerException refusal = BudgetTreeRules.refusal(spec, chain, height);
            return refusal == null ? Future.succeededFuture() : Future.failedFuture(refusal);
        });
    }

    @Override
    public Future<BudgetState> deleteBudget(String id) {
        return definitions.submit(id, new Need(null, List.of(id)), (conn, locked, recorded) -> {
            Stored old = locked.get(id);
            if (old == null) {
                return Future.failedFuture(unknownBudget(id));
            }
            BudgetState last = old.at(clock.instant());
            return conn.preparedQuery("SELECT 1 FROM budgets WHERE parent = $1 LIMIT 1").execute(Tuple.of(id)).compose(children -> {
                if (children.size() > 0) {
                    return Future.failedFuture(BudgetTreeRules.hasChildren(id));
                }
                if (last.reservedMicros() > 0) {
                    return Future.failedFuture(Ledger.stillHeld(id, last.reservedMicros()));
                }
                // Its settled reservations go with it (nothing is held, or the delete was refused above).
                return conn.preparedQuery("DELETE FROM reservations WHERE budget_id = $1").execute(Tuple.of(id))
                        .compose(v -> conn.preparedQuery("DELETE FROM budgets WHERE id = $1").execute(Tuple.of(id)))
                        .map(v -> {
                            rootOf.invalidate(id);
                            recorded.accept(AuditEvents.budgetDeleted(last));
                            return last;
                        });
            });
        });
    }

    @Override
    public Future<BudgetState> putBudget(BudgetSpec spec) {
        return definitions.submit(spec.id(), new Need(spec.parent(), List.of(spec.id())), (conn, locked, recorded) -> {
            Stored old = locked.get(spec.id());
            boolean windowChanged = old == null || !old.spec().window().equals(spec.window())
                    || !old.spec().timezone().equals(spec.timezone());
            BudgetWindow window = windowChanged ? BudgetWindow.of(spec.window(), spec.timezone(), clock.instant()) : old.window();
            return checkTree(conn, locked, spec).compose(v -> conn.preparedQuery("""
                    INSERT INTO budgets (id, spec, limit_micros, window_start, window_end, parent) VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, limit_micros = excluded.limit_micros,
                      window_start = excluded.window_start, window_end = excluded.window_end, parent = excluded.parent
                    RETURNING reserved, committed""")
                    .execute(Tuple.of(spec.id(), spec.toJson().encode(), spec.limitMicros(), millis(window.start()), millis(window.end()),
                            spec.parent())))
                    .map(rows -> {
                        Row r = first(rows);
                        if (old != null && !Objects.equals(old.spec().parent(), spec.parent())) {
                            rootOf.invalidateAll();
                        }
                        recorded.accept(AuditEvents.budgetPut(spec));
                        return new BudgetState(spec, r.getLong(0), r.getLong(1), window);
                    });
        });
    }

    @Override
    public Future<BudgetState> createBudget(BudgetSpec spec) {
        return definitions.submit(spec.id(), new Need(spec.parent(), List.of(spec.id())), (conn, locked, recorded) -> {
            if (locked.get(spec.id()) != null) {
                return Future.failedFuture(Ledger.exists(spec.id()));
            }
            BudgetWindow window = BudgetWindow.of(spec.window(), spec.timezone(), clock.instant());
            // No row to lock yet: the primary key decides between replicas creating the same id at once.
            return checkTree(conn, locked, spec).compose(v -> conn.preparedQuery("""
                    INSERT INTO budgets (id, spec, limit_micros, window_start, window_end, parent) VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (id) DO NOTHING RETURNING reserved, committed""")
                    .execute(Tuple.of(spec.id(), spec.toJson().encode(), spec.limitMicros(), millis(window.start()), millis(window.end()),
                            spec.parent())))
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

    /** The path in one query (one snapshot): the budget and its ancestors, leaf first. */
    @Override
    public Future<List<BudgetState>> path(String id) {
        return pool.preparedQuery("SELECT spec, reserved, committed, window_start, window_end FROM budgets WHERE id = ANY (ARRAY("
                        + PATHS + "))")
                .execute(Tuple.tuple().addArrayOfString(new String[] {id})).map(rows -> {
                    Map<String, Stored> levels = new HashMap<>();
                    rows.forEach(row -> {
                        Stored level = stored(row);
                        levels.put(level.spec().id(), level);
                    });
                    List<Stored> path = new Locked(levels).path(id);
                    if (path == null) {
                        throw unknownBudget(id);
                    }
                    Instant now = clock.instant();
                    return path.stream().map(level -> level.at(now)).toList();
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
        return lanes.submit(laneOf(r.budgetId()), new Need(r.budgetId(), List.of()), (conn, locked, recorded) -> {
            List<Stored> path = locked.path(r.budgetId());
            if (path == null) {
                return Future.failedFuture(unknownBudget(r.budgetId()));
            }
            String[] ids = path.stream().map(s -> s.spec().id()).toArray(String[]::new);
            String[] ancestors = ids.length == 1 ? null : Arrays.copyOfRange(ids, 1, ids.length);
            long now = clock.millis();
            // Both statements are sent at once: the connection runs them in order, after those of the calls before.
            Future<?> seen = limit == null ? Future.succeededFuture()
                    : conn.preparedQuery(SEEN).execute(Tuple.of(limit.runId(), r.budgetId(), now));
            Future<RowSet<Row>> reserved = conn.preparedQuery(RESERVE).execute(Tuple.wrap(new Object[] {r.id(), r.budgetId(),
                    r.amountMicros(), r.forwarded(), r.expiresAt().toEpochMilli(), now, limit == null ? null : limit.runId(),
                    limit == null ? 0L : limit.maxSteps(), limit == null ? 0L : limit.maxMicros(), ids, ancestors}));
            return seen.compose(v -> reserved).map(rows -> {
                List<BudgetState> after = new ArrayList<>(path.size());
                String refusedBy = null;
                Row leaf = null;
                int level = 0;
                for (Row row : rows) {
                    leaf = leaf == null ? row : leaf;
                    after.add(path.get(level++).with(row.getLong(1), row.getLong(2)));
                    if (refusedBy == null && !row.getBoolean(3)) {
                        refusedBy = ids[level - 1];
                    }
                }
                RunState run = limit == null ? null : new RunState(limit.runId(), leaf.getString(7), leaf.getLong(8), leaf.getLong(9),
                        leaf.getLong(10), instant(leaf.getLong(11)), instant(leaf.getLong(12)), leaf.getString(13));
                String heldBy = leaf.getString(4);
                if (heldBy != null) {
                    if (heldBy.equals(r.budgetId()) && leaf.getLong(5) == r.amountMicros() && "held".equals(leaf.getString(6))) {
                        return new Hold(true, after.get(0), run, null, after, null);
                    }
                    throw new LedgerException(LedgerException.Kind.DUPLICATE_RESERVATION, "reservation exists: " + r.id());
                }
                Hold hold;
                if (leaf.getBoolean(0)) {
                    levelsOf.put(r.id(), List.of(ids));
                    hold = new Hold(true, after.get(0), run == null ? null : stepped(run, r.amountMicros()), null, after, null);
                } else {
                    String runRefusal = run == null ? null : limit.refusal(run, r.amountMicros());
                    hold = new Hold(false, after.get(0), run, runRefusal, after, runRefusal == null ? refusedBy : null);
                }
                recorded.accept(r.auditOf(hold));
                return hold;
            });
        });
    }

    /** The lane of calls on {@code budgetId}: its tree's root as last locked, or the budget itself until then. */
    private String laneOf(String budgetId) {
        String root = rootOf.getIfPresent(budgetId);
        return root != null ? root : budgetId;
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
     * (the order every reservation takes them in, after its budget rows), and writes the
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

    /** The levels a reservation holds on, leaf first: from memory, else from its row; null when there is no such reservation. */
    private Future<List<String>> levelsOf(String reservationId) {
        List<String> known = levelsOf.getIfPresent(reservationId);
        if (known != null) {
            return Future.succeededFuture(known);
        }
        return pool.preparedQuery("SELECT budget_id, ancestors FROM reservations WHERE id = $1").execute(Tuple.of(reservationId))
                .map(rows -> {
                    Row row = first(rows);
                    return row == null ? null : levels(row.getString(0), row.getArrayOfStrings(1));
                });
    }

    private static List<String> levels(String budgetId, String[] ancestors) {
        if (ancestors == null || ancestors.length == 0) {
            return List.of(budgetId);
        }
        List<String> levels = new ArrayList<>(ancestors.length + 1);
        levels.add(budgetId);
        levels.addAll(Arrays.asList(ancestors));
        return levels;
    }

    /**
     * Runs {@code op} on a reservation in the lane of the root it was held under, with its levels
     * locked; an unknown reservation is not held.
     */
    private <T> Future<T> onHold(String reservationId, PostgresLanes.Op<Locked, T> op) {
        return levelsOf(reservationId).compose(levels -> levels == null ? Future.failedFuture(notHeld(reservationId))
                : lanes.submit(levels.get(levels.size() - 1), new Need(null, levels), op));
    }

    /** The levels a settlement moved, after, leaf first ({@link #SETTLE}'s and {@link #EXPIRE}'s rows: id in 1, totals in 2 and 3). */
    private static List<BudgetState> after(Locked locked, RowSet<Row> rows) {
        List<BudgetState> after = new ArrayList<>(rows.size());
        for (Row row : rows) {
            after.add(locked.get(row.getString(1)).with(row.getLong(2), row.getLong(3)));
        }
        return after;
    }

    @Override
    protected Future<Settled> settle(String reservationId, long spend, End end) {
        return onHold(reservationId, (conn, locked, recorded) -> conn.preparedQuery(SETTLE)
                .execute(Tuple.of(reservationId, end.state(), spend, clock.millis())).map(rows -> {
                    Row row = first(rows);
                    if (row == null) {
                        throw notHeld(reservationId);
                    }
                    levelsOf.invalidate(reservationId);
                    long held = row.getLong(0);
                    List<BudgetState> after = after(locked, rows);
                    return BudgetTreeRules.onPath(settled(end, reservationId, after.get(0).spec().id(), held, spend, after.get(0), recorded),
                            after);
                }));
    }

    @Override
    public Future<List<Expired>> sweep(Instant now) {
        return pool.preparedQuery("""
                        SELECT id, budget_id, ancestors FROM reservations WHERE state = 'held' AND expires_at <= $1
                        ORDER BY expires_at LIMIT 1000""")
                .execute(Tuple.of(now.toEpochMilli())).compose(rows -> {
                    List<Future<Expired>> expiring = new ArrayList<>();
                    for (Row row : rows) {
                        String id = row.getString(0);
                        String budgetId = row.getString(1);
                        List<String> levels = levels(budgetId, row.getArrayOfStrings(2));
                        expiring.add(lanes.submit(levels.get(levels.size() - 1), new Need(null, levels), (conn, locked, recorded) -> conn
                                .preparedQuery(EXPIRE).execute(Tuple.of(id, clock.millis(), now.toEpochMilli())).map(settled -> {
                                    Row r = first(settled);
                                    levelsOf.invalidate(id);
                                    // another replica's sweeper or a late settlement got there first
                                    if (r == null) {
                                        return null;
                                    }
                                    long held = r.getLong(0);
                                    End end = End.expired(r.getBoolean(4));
                                    settled(end, id, budgetId, held, end.expirySpend(held), after(locked, settled).get(0), recorded);
                                    return new Expired(id, budgetId, held, r.getBoolean(4));
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
        return lanes.close().transform(v -> definitions.close()).transform(v -> audit.seal()).transform(v -> idempotency.leave())
                .transform(v -> pool.close());
    }
}
