package io.spendguard.proxy.ledger.sqlite;

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
import io.spendguard.proxy.ledger.RunState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.sqlite.SQLiteConfig;

/**
 * The durable single-machine ledger ({@code ledger.kind: sqlite}): one file in WAL mode with
 * {@code synchronous=FULL}, created on first start. Every change goes through one writer thread
 * with group commit ({@link SqliteThread}), so a hold is on disk before its future completes and
 * one fsync covers every change waiting at that moment; reads that only inform a decision use a
 * second connection so they never wait behind a commit. Reservation is a conditional update of the
 * budget row ({@code committed + reserved + amount <= limit}), so it is atomic even when several
 * processes share the file. Each change's audit records are written in its transaction
 * ({@link SqliteAudit}). Agent runs are rows of their own ({@code runs}): a reservation under a run
 * reads the run, applies {@link io.spendguard.proxy.ledger.RunLimit#refusal} and counts the step in
 * the reservation's own transaction, and a settlement moves the run's money with the budget's, so
 * the run's totals can never disagree with its holds. Budget trees (SPEC §11): a budget's
 * {@code parent} is a column beside its definition; a reservation walks from its budget up to the
 * root inside its transaction, rolls and checks every level, and holds on all of them or none; the
 * levels above its budget are stored with it ({@code ancestors}, a JSON array, null for a budget of
 * no parent), and its settlement or expiry moves every one of them. The schema is versioned
 * ({@code PRAGMA user_version}, {@link #MIGRATIONS}): a file of an earlier version is migrated when
 * it is opened.
 */
public final class SqliteLedger extends LedgerBackend {
    /** Version 0 of the file: what a new file (or one from before versions) starts from, before the {@link #MIGRATIONS}. */
    private static final String[] SCHEMA = {
        """
        CREATE TABLE IF NOT EXISTS budgets (
          id TEXT PRIMARY KEY, spec TEXT NOT NULL, limit_micros INTEGER NOT NULL,
          window_start INTEGER, window_end INTEGER,
          reserved INTEGER NOT NULL DEFAULT 0, committed INTEGER NOT NULL DEFAULT 0)""",
        """
        CREATE TABLE IF NOT EXISTS reservations (
          id TEXT PRIMARY KEY, budget_id TEXT NOT NULL, amount INTEGER NOT NULL, state TEXT NOT NULL,
          forwarded INTEGER NOT NULL, expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL,
          spent INTEGER, settled_at INTEGER)""",
        "CREATE INDEX IF NOT EXISTS reservations_held ON reservations (expires_at) WHERE state = 'held'",
        """
        CREATE TABLE IF NOT EXISTS idempotency (
          key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, attempt TEXT NOT NULL, owner TEXT NOT NULL,
          status INTEGER, headers TEXT, body BLOB, expires_at INTEGER NOT NULL)""",
        "CREATE TABLE IF NOT EXISTS instances (id TEXT PRIMARY KEY, heartbeat_at INTEGER NOT NULL)",
        SqliteAudit.SCHEMA,
        SqliteAudit.INDEX,
        SqliteAudit.UNSIGNED,
    };
    /**
     * What each schema version adds to {@link #SCHEMA}: entry {@code i} brings a file to
     * {@code PRAGMA user_version = i + 1}. A file of an earlier version is brought up to date when it
     * is opened; a later change is a new entry at the end, never an edit of an old one.
     */
    static final List<List<String>> MIGRATIONS = List.of(List.of(
            """
            CREATE TABLE runs (
              id TEXT PRIMARY KEY, budget_id TEXT, steps INTEGER NOT NULL DEFAULT 0,
              reserved INTEGER NOT NULL DEFAULT 0, committed INTEGER NOT NULL DEFAULT 0,
              first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, stop_reason TEXT)""",
            "CREATE INDEX runs_last_seen ON runs (last_seen DESC, id)",
            "CREATE INDEX runs_budget ON runs (budget_id, last_seen DESC, id)",
            "ALTER TABLE reservations ADD COLUMN run_id TEXT",
            "CREATE INDEX reservations_run_held ON reservations (run_id) WHERE state = 'held'"),
            List.of(
                    "ALTER TABLE budgets ADD COLUMN parent TEXT",
                    "CREATE INDEX budgets_parent ON budgets (parent) WHERE parent IS NOT NULL",
                    "ALTER TABLE reservations ADD COLUMN ancestors TEXT"),
            SqliteAudit.SIGNATURES_APART);
    private static final String RUN = """
            SELECT id, budget_id, steps, reserved, committed, first_seen, last_seen, stop_reason FROM runs""";
    /**
     * Finds or creates the run a call comes under: a call counts as the run's latest whether or not it
     * is admitted (so a run that is still being called is never forgotten), and a run created by a
     * stop takes the budget of its first call.
     */
    private static final String SEEN = """
            INSERT INTO runs (id, budget_id, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)
            ON CONFLICT (id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen),
              budget_id = coalesce(budget_id, excluded.budget_id)
            RETURNING id, budget_id, steps, reserved, committed, first_seen, last_seen, stop_reason""";
    /** Counts an admitted call: one step, and its hold (saturating like the budget's totals). */
    private static final String STEP = """
            UPDATE runs SET steps = steps + 1,
              reserved = CASE WHEN ?1 > 9223372036854775807 - reserved THEN 9223372036854775807 ELSE reserved + ?1 END
            WHERE id = ?2""";
    /** Moves a run's share of a settled hold, as {@link #MOVE} moves the budget's. */
    private static final String RUN_MOVE = """
            UPDATE runs SET reserved = max(reserved - ?1, 0),
              committed = CASE WHEN ?2 > 9223372036854775807 - committed THEN 9223372036854775807 ELSE committed + ?2 END
            WHERE id = ?3""";
    private static final String BUDGET = "SELECT spec, reserved, committed, window_start, window_end FROM budgets WHERE id = ?";
    /** How many levels lie below a budget (0: none), bounded just past the deepest tree allowed. */
    private static final String LEVELS_BELOW = """
            WITH RECURSIVE below (id, depth) AS (
                SELECT id, 1 FROM budgets WHERE parent = ?1
              UNION ALL
                SELECT b.id, below.depth + 1 FROM budgets b JOIN below ON b.parent = below.id WHERE below.depth <= ?2)
            SELECT coalesce(max(depth), 0) FROM below""";
    /**
     * Takes a hold if {@code committed + reserved + amount <= limit}, written so that no term can
     * overflow (SQLite would turn an overflowing sum into an inexact REAL): committed and reserved
     * never exceed what fits in a 64-bit integer, and each difference is of non-negative values.
     */
    private static final String TAKE = """
            UPDATE budgets SET reserved = reserved + ?1
            WHERE id = ?2 AND committed <= limit_micros AND reserved <= limit_micros - committed
              AND ?1 <= limit_micros - committed - reserved""";
    /** Moves a hold into spend; spend saturates at the largest 64-bit integer instead of overflowing. */
    private static final String MOVE = """
            UPDATE budgets SET reserved = max(reserved - ?1, 0),
              committed = CASE WHEN ?2 > 9223372036854775807 - committed THEN 9223372036854775807 ELSE committed + ?2 END
            WHERE id = ?3""";

    private final Clock clock;
    private final SqliteThread writer;
    private final SqliteThread reader;
    private final SqliteIdempotency idempotency;
    private final SqliteAudit audit;
    private final Vertx vertx;
    private final Map<String, BudgetSpec> specs = new ConcurrentHashMap<>();

    private SqliteLedger(Vertx vertx, Clock clock, SqliteThread writer, SqliteThread reader, AuditChain chain) {
        this.vertx = vertx;
        this.clock = clock;
        this.writer = writer;
        this.reader = reader;
        this.idempotency = new SqliteIdempotency(writer, "ins_" + UUID.randomUUID());
        this.audit = new SqliteAudit(vertx, chain, writer, reader);
        writer.auditWith(audit);
    }

    /**
     * Opens (creating if needed) the ledger file and registers this process as a live instance;
     * audit records are sealed by {@code chain}.
     */
    public static Future<SqliteLedger> open(Vertx vertx, Path file, Clock clock, AuditChain chain) {
        return vertx.<SqliteLedger>executeBlocking(() -> {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Connection w = connect(file, false);
            try (Statement st = w.createStatement()) {
                migrate(st);
            }
            return new SqliteLedger(vertx, clock, new SqliteThread(vertx, w, "spendguard-sqlite-writer", true),
                    new SqliteThread(vertx, connect(file, true), "spendguard-sqlite-reader", false), chain);
        }, false).compose(ledger -> ledger.idempotency.join(vertx, clock).map(ledger));
    }

    /**
     * Lays down the {@link #SCHEMA} on a file of version 0 and applies the {@link #MIGRATIONS} the file
     * has not seen, in one transaction that holds the write lock, so processes opening one file
     * together apply each step once.
     */
    private static void migrate(Statement st) throws SQLException {
        st.execute("BEGIN IMMEDIATE");
        try {
            int version;
            try (ResultSet rs = st.executeQuery("PRAGMA user_version")) {
                version = rs.next() ? rs.getInt(1) : 0;
            }
            if (version == 0) {
                for (String ddl : SCHEMA) {
                    st.execute(ddl);
                }
            }
            for (int v = version + 1; v <= MIGRATIONS.size(); v++) {
                for (String ddl : MIGRATIONS.get(v - 1)) {
                    st.execute(ddl);
                }
            }
            if (version < MIGRATIONS.size()) {
                st.execute("PRAGMA user_version = " + MIGRATIONS.size());
            }
            st.execute("COMMIT");
        } catch (SQLException e) {
            st.execute("ROLLBACK");
            throw e;
        }
    }

    static Connection connect(Path file, boolean readOnly) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout(10_000);
        // Else the driver prepares and runs a "SELECT last_insert_rowid()" after every INSERT, for keys we never ask for.
        config.setGetGeneratedKeys(false);
        if (readOnly) {
            config.setReadOnly(true);
        } else {
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        }
        return DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
    }

    /** A budget row as stored, before any window roll. */
    private record Row(BudgetSpec spec, long reserved, long committed, BudgetWindow window) {
        /** The state at {@code now}: a window that has ended reads as the new one with no spend. */
        BudgetState at(Instant now) {
            if (window.end() != null && !now.isBefore(window.end())) {
                return new BudgetState(spec, reserved, 0, BudgetWindow.of(spec.window(), spec.timezone(), now));
            }
            return new BudgetState(spec, reserved, committed, window);
        }
    }

    private Row row(SqliteThread db, String id) throws SQLException {
        PreparedStatement ps = db.statement(BUDGET);
        ps.setString(1, id);
        try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return null;
            }
            return new Row(spec(rs.getString(1)), rs.getLong(2), rs.getLong(3), new BudgetWindow(instant(rs, 4), instant(rs, 5)));
        }
    }

    /** Parsed definitions by their stored text: a budget is read on every call, its definition rarely changes. */
    private BudgetSpec spec(String stored) {
        if (specs.size() > 10_000) {
            specs.clear();
        }
        return specs.computeIfAbsent(stored, text -> BudgetSpec.fromJson(new JsonObject(text)));
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    private Row existing(SqliteThread db, String id) throws SQLException {
        Row r = row(db, id);
        if (r == null) {
            throw unknownBudget(id);
        }
        return r;
    }

    /** Moves the stored row to the current window (spend back to zero) when the old one has ended. */
    private BudgetState rolled(SqliteThread db, String id) throws SQLException {
        BudgetState now = rolledIfAny(db, id);
        if (now == null) {
            throw unknownBudget(id);
        }
        return now;
    }

    /** {@link #rolled}, or null when there is no such budget. */
    private BudgetState rolledIfAny(SqliteThread db, String id) throws SQLException {
        Row r = row(db, id);
        if (r == null) {
            return null;
        }
        BudgetState now = r.at(clock.instant());
        if (now.window().equals(r.window())) {
            return now;
        }
        PreparedStatement ps = db.statement(
                "UPDATE budgets SET committed = 0, window_start = ?, window_end = ? WHERE id = ? AND window_end = ?");
        setInstant(ps, 1, now.window().start());
        setInstant(ps, 2, now.window().end());
        ps.setString(3, id);
        ps.setLong(4, r.window().end().toEpochMilli());
        ps.executeUpdate();
        return now;
    }

    /** The budget {@code id} and its ancestors, leaf first, each rolled to its current window. */
    private List<BudgetState> rolledPath(SqliteThread db, String id) throws SQLException {
        List<BudgetState> path = new ArrayList<>(2);
        path.add(rolled(db, id));
        String up = path.get(0).spec().parent();
        while (up != null && path.size() < BudgetSpec.MAX_DEPTH) {
            BudgetState level = rolledIfAny(db, up);
            if (level == null) {
                break;
            }
            path.add(level);
            up = level.spec().parent();
        }
        return path;
    }

    /** The levels a hold was taken on ({@code ids}, leaf first) that still exist, each rolled to its current window. */
    private List<BudgetState> rolledLevels(SqliteThread db, List<String> ids) throws SQLException {
        List<BudgetState> levels = new ArrayList<>(ids.size());
        levels.add(rolled(db, ids.get(0)));
        for (String id : ids.subList(1, ids.size())) {
            BudgetState level = rolledIfAny(db, id);
            if (level != null) {
                levels.add(level);
            }
        }
        return levels;
    }

    /** A reservation's levels, leaf first: its budget and the ancestors stored with it. */
    private static List<String> levels(String budgetId, String ancestors) {
        if (ancestors == null) {
            return List.of(budgetId);
        }
        List<String> ids = new ArrayList<>();
        ids.add(budgetId);
        for (Object id : new JsonArray(ancestors)) {
            ids.add((String) id);
        }
        return ids;
    }

    /** What {@link #levels} reads back: the levels above the leaf of {@code path}, or null when it has none. */
    private static String ancestors(List<BudgetState> path) {
        if (path.size() == 1) {
            return null;
        }
        JsonArray ids = new JsonArray();
        for (BudgetState level : path.subList(1, path.size())) {
            ids.add(level.spec().id());
        }
        return ids.encode();
    }

    /**
     * Refuses {@code spec} when its parent is unknown, in its own subtree, or would make the tree too
     * deep ({@link BudgetTreeRules#refusal}); a budget whose parent does not change is not checked again.
     */
    private void checkTree(SqliteThread db, BudgetSpec spec, Row old) throws SQLException {
        if (old != null && Objects.equals(old.spec().parent(), spec.parent())) {
            return;
        }
        List<String> chain = spec.parent() == null ? List.of() : chainFrom(db, spec.parent());
        int levels = 1;
        if (old != null) {
            PreparedStatement below = db.statement(LEVELS_BELOW);
            below.setString(1, spec.id());
            below.setInt(2, BudgetSpec.MAX_DEPTH);
            try (ResultSet rs = below.executeQuery()) {
                levels += rs.next() ? rs.getInt(1) : 0;
            }
        }
        LedgerException refusal = BudgetTreeRules.refusal(spec, chain, levels);
        if (refusal != null) {
            throw refusal;
        }
    }

    /** {@code parent} and its ancestors as stored, nearest first; null when {@code parent} is not a budget. */
    private List<String> chainFrom(SqliteThread db, String parent) throws SQLException {
        List<String> chain = new ArrayList<>();
        String at = parent;
        while (at != null && chain.size() <= BudgetSpec.MAX_DEPTH) {
            Row r = row(db, at);
            if (r == null) {
                return chain.isEmpty() ? null : chain;
            }
            chain.add(at);
            at = r.spec().parent();
        }
        return chain;
    }

    private static void setInstant(PreparedStatement ps, int i, Instant v) throws SQLException {
        if (v == null) {
            ps.setNull(i, java.sql.Types.INTEGER);
        } else {
            ps.setLong(i, v.toEpochMilli());
        }
    }

    @Override
    public Future<BudgetState> putBudget(BudgetSpec spec) {
        return writer.submit(db -> {
            Row old = row(db, spec.id());
            checkTree(db, spec, old);
            boolean windowChanged = old == null || !old.spec().window().equals(spec.window())
                    || !old.spec().timezone().equals(spec.timezone());
            BudgetWindow window = windowChanged ? BudgetWindow.of(spec.window(), spec.timezone(), clock.instant()) : old.window();
            PreparedStatement ps = db.statement("""
                    INSERT INTO budgets (id, spec, limit_micros, window_start, window_end, parent) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, limit_micros = excluded.limit_micros,
                      window_start = excluded.window_start, window_end = excluded.window_end, parent = excluded.parent""");
            ps.setString(1, spec.id());
            ps.setString(2, spec.toJson().encode());
            ps.setLong(3, spec.limitMicros());
            setInstant(ps, 4, window.start());
            setInstant(ps, 5, window.end());
            ps.setString(6, spec.parent());
            ps.executeUpdate();
            db.audit(AuditEvents.budgetPut(spec));
            return rolled(db, spec.id());
        });
    }

    @Override
    public Future<BudgetState> createBudget(BudgetSpec spec) {
        return writer.submit(db -> {
            if (row(db, spec.id()) != null) {
                throw Ledger.exists(spec.id());
            }
            checkTree(db, spec, null);
            BudgetWindow window = BudgetWindow.of(spec.window(), spec.timezone(), clock.instant());
            PreparedStatement ps = db.statement("""
                    INSERT INTO budgets (id, spec, limit_micros, window_start, window_end, parent) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO NOTHING""");
            ps.setString(1, spec.id());
            ps.setString(2, spec.toJson().encode());
            ps.setLong(3, spec.limitMicros());
            setInstant(ps, 4, window.start());
            setInstant(ps, 5, window.end());
            ps.setString(6, spec.parent());
            if (ps.executeUpdate() == 0) {
                throw Ledger.exists(spec.id());
            }
            db.audit(AuditEvents.budgetPut(spec));
            return new BudgetState(spec, 0, 0, window);
        });
    }

    @Override
    public Future<BudgetState> deleteBudget(String id) {
        return writer.submit(db -> {
            BudgetState last = existing(db, id).at(clock.instant());
            PreparedStatement children = db.statement("SELECT 1 FROM budgets WHERE parent = ? LIMIT 1");
            children.setString(1, id);
            try (ResultSet rs = children.executeQuery()) {
                if (rs.next()) {
                    throw BudgetTreeRules.hasChildren(id);
                }
            }
            if (last.reservedMicros() > 0) {
                throw Ledger.stillHeld(id, last.reservedMicros());
            }
            // Its settled reservations go with it (nothing is held, or the delete was refused above).
            for (String sql : new String[] {"DELETE FROM reservations WHERE budget_id = ?", "DELETE FROM budgets WHERE id = ?"}) {
                PreparedStatement ps = db.statement(sql);
                ps.setString(1, id);
                ps.executeUpdate();
            }
            db.audit(AuditEvents.budgetDeleted(last));
            return last;
        });
    }

    @Override
    public Future<BudgetState> budget(String id) {
        return reader.submit(db -> existing(db, id).at(clock.instant()));
    }

    @Override
    public Future<List<BudgetState>> path(String id) {
        return reader.submit(db -> {
            Instant now = clock.instant();
            List<BudgetState> path = new ArrayList<>(2);
            Row level = existing(db, id);
            path.add(level.at(now));
            while (level.spec().parent() != null && path.size() < BudgetSpec.MAX_DEPTH) {
                level = row(db, level.spec().parent());
                if (level == null) {
                    break;
                }
                path.add(level.at(now));
            }
            return List.copyOf(path);
        });
    }

    @Override
    public Future<List<BudgetState>> budgets() {
        return reader.submit(db -> {
            List<BudgetState> out = new ArrayList<>();
            try (ResultSet rs = db.statement("SELECT id FROM budgets ORDER BY id").executeQuery()) {
                List<String> ids = new ArrayList<>();
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
                for (String id : ids) {
                    out.add(existing(db, id).at(clock.instant()));
                }
            }
            return out;
        });
    }

    @Override
    public Future<Hold> reserve(Reservation r) {
        return writer.submit(db -> {
            PreparedStatement held = db.statement("SELECT budget_id, amount, state, ancestors FROM reservations WHERE id = ?");
            held.setString(1, r.id());
            boolean retried;
            String ancestors;
            try (ResultSet rs = held.executeQuery()) {
                if (!rs.next()) {
                    retried = false;
                    ancestors = null;
                } else if (rs.getString(1).equals(r.budgetId()) && rs.getLong(2) == r.amountMicros() && rs.getString(3).equals("held")) {
                    retried = true;
                    ancestors = rs.getString(4);
                } else {
                    throw new LedgerException(LedgerException.Kind.DUPLICATE_RESERVATION, "reservation exists: " + r.id());
                }
            }
            if (retried) {
                List<BudgetState> path = rolledLevels(db, levels(r.budgetId(), ancestors));
                return new Hold(true, path.get(0), r.run() == null ? null : storedRun(db, r.run().runId()), null, path, null);
            }
            // The write lock is ours for the whole batch: the rows are exactly what we read plus this hold.
            List<BudgetState> before = rolledPath(db, r.budgetId());
            RunState run = r.run() == null ? null : seen(db, r.run().runId(), r.budgetId());
            String runRefusal = run == null ? null : r.run().refusal(run, r.amountMicros());
            if (runRefusal != null) {
                return refused(db, r, new Hold(false, before.get(0), run, runRefusal, before, null));
            }
            for (BudgetState level : before) {
                if (!takes(level, r.amountMicros())) {
                    return refused(db, r, new Hold(false, before.get(0), run, null, before, level.spec().id()));
                }
            }
            PreparedStatement take = db.statement(TAKE);
            List<BudgetState> after = new ArrayList<>(before.size());
            for (BudgetState level : before) {
                take.setLong(1, r.amountMicros());
                take.setString(2, level.spec().id());
                if (take.executeUpdate() == 0) {
                    throw new SQLException("budget " + level.spec().id() + " changed under the write lock");
                }
                after.add(new BudgetState(level.spec(), Money.add(level.reservedMicros(), r.amountMicros()), level.committedMicros(),
                        level.window()));
            }
            PreparedStatement insert = db.statement("""
                    INSERT INTO reservations (id, budget_id, amount, state, forwarded, expires_at, created_at, run_id, ancestors)
                    VALUES (?, ?, ?, 'held', ?, ?, ?, ?, ?)""");
            insert.setString(1, r.id());
            insert.setString(2, r.budgetId());
            insert.setLong(3, r.amountMicros());
            insert.setInt(4, r.forwarded() ? 1 : 0);
            insert.setLong(5, r.expiresAt().toEpochMilli());
            insert.setLong(6, clock.millis());
            insert.setString(7, run == null ? null : run.id());
            insert.setString(8, ancestors(before));
            insert.executeUpdate();
            if (run != null) {
                PreparedStatement step = db.statement(STEP);
                step.setLong(1, r.amountMicros());
                step.setString(2, run.id());
                step.executeUpdate();
                run = new RunState(run.id(), run.budgetId(), run.steps() + 1, Money.add(run.reservedMicros(), r.amountMicros()),
                        run.committedMicros(), run.firstSeen(), run.lastSeen(), run.stopReason());
            }
            Hold granted = new Hold(true, after.get(0), run, null, after, null);
            db.audit(r.auditOf(granted));
            return granted;
        });
    }

    /** Whether {@code level} can hold {@code amount} more: the condition {@link #TAKE} applies. */
    private static boolean takes(BudgetState level, long amount) {
        long limit = level.spec().limitMicros();
        long committed = level.committedMicros();
        long reserved = level.reservedMicros();
        return committed <= limit && reserved <= limit - committed && amount <= limit - committed - reserved;
    }

    private static Hold refused(SqliteThread db, Reservation r, Hold refused) {
        db.audit(r.auditOf(refused));
        return refused;
    }

    /** Marks a call of run {@code id} (charged to {@code budgetId}) as seen now, creating the run on its first call; the run. */
    private RunState seen(SqliteThread db, String id, String budgetId) throws SQLException {
        PreparedStatement ps = db.statement(SEEN);
        ps.setString(1, id);
        ps.setString(2, budgetId);
        ps.setLong(3, clock.millis());
        try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return runState(rs);
        }
    }

    private static RunState runState(ResultSet rs) throws SQLException {
        return new RunState(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                Instant.ofEpochMilli(rs.getLong(6)), Instant.ofEpochMilli(rs.getLong(7)), rs.getString(8));
    }

    /** The run as stored, or null. */
    private static RunState storedRun(SqliteThread db, String id) throws SQLException {
        PreparedStatement ps = db.statement(RUN + " WHERE id = ?");
        ps.setString(1, id);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? runState(rs) : null;
        }
    }

    @Override
    protected Future<Settled> settle(String reservationId, long spend, End end) {
        return writer.submit(db -> {
            PreparedStatement find = db.statement(
                    "SELECT budget_id, amount, run_id, ancestors FROM reservations WHERE id = ? AND state = 'held'");
            find.setString(1, reservationId);
            List<String> levels;
            long held;
            String runId;
            try (ResultSet rs = find.executeQuery()) {
                if (!rs.next()) {
                    throw notHeld(reservationId);
                }
                levels = levels(rs.getString(1), rs.getString(4));
                held = rs.getLong(2);
                runId = rs.getString(3);
            }
            List<BudgetState> after = close(db, reservationId, levels, runId, held, spend, end.state());
            return BudgetTreeRules.onPath(settled(end, reservationId, levels.get(0), held, spend, after.get(0), db::audit), after);
        });
    }

    /**
     * Marks a held reservation settled and moves its hold into spend (or back to the budget) on every
     * level it was taken on ({@code levels}, leaf first) and for its run ({@code runId}, null: none);
     * the levels after, leaf first.
     */
    private List<BudgetState> close(SqliteThread db, String reservationId, List<String> levels, String runId, long held, long spend,
                                    String state) throws SQLException {
        List<BudgetState> before = rolledLevels(db, levels);
        PreparedStatement mark = db.statement(
                "UPDATE reservations SET state = ?, spent = ?, settled_at = ? WHERE id = ? AND state = 'held'");
        mark.setString(1, state);
        mark.setLong(2, spend);
        mark.setLong(3, clock.millis());
        mark.setString(4, reservationId);
        mark.executeUpdate();
        PreparedStatement move = db.statement(MOVE);
        List<BudgetState> after = new ArrayList<>(before.size());
        for (BudgetState level : before) {
            move.setLong(1, held);
            move.setLong(2, spend);
            move.setString(3, level.spec().id());
            move.executeUpdate();
            after.add(new BudgetState(level.spec(), Money.less(level.reservedMicros(), held), Money.add(level.committedMicros(), spend),
                    level.window()));
        }
        if (runId != null) {
            PreparedStatement runMove = db.statement(RUN_MOVE);
            runMove.setLong(1, held);
            runMove.setLong(2, spend);
            runMove.setString(3, runId);
            runMove.executeUpdate();
        }
        return after;
    }

    @Override
    public Future<List<Expired>> sweep(Instant now) {
        return writer.submit(db -> {
            PreparedStatement find = db.statement("""
                    SELECT id, budget_id, amount, forwarded, run_id, ancestors FROM reservations
                    WHERE state = 'held' AND expires_at <= ? LIMIT 1000""");
            find.setLong(1, now.toEpochMilli());
            List<Expired> out = new ArrayList<>();
            List<String> runIds = new ArrayList<>();
            List<List<String>> levels = new ArrayList<>();
            try (ResultSet rs = find.executeQuery()) {
                while (rs.next()) {
                    out.add(new Expired(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getInt(4) == 1));
                    runIds.add(rs.getString(5));
                    levels.add(levels(rs.getString(2), rs.getString(6)));
                }
            }
            for (int i = 0; i < out.size(); i++) {
                Expired e = out.get(i);
                End end = End.expired(e.committed());
                long spent = end.expirySpend(e.heldMicros());
                List<BudgetState> after = close(db, e.reservationId(), levels.get(i), runIds.get(i), e.heldMicros(), spent, end.state());
                settled(end, e.reservationId(), e.budgetId(), e.heldMicros(), spent, after.get(0), db::audit);
            }
            idempotency.prune(db, now);
            return out;
        });
    }

    @Override
    public Future<RunState> run(String id) {
        return reader.submit(db -> {
            RunState run = storedRun(db, id);
            if (run == null) {
                throw unknownRun(id);
            }
            return run;
        });
    }

    @Override
    public Future<List<RunState>> runs(String budgetId, Boolean stopped, int limit) {
        return reader.submit(db -> {
            PreparedStatement ps = db.statement(RUN + """
                     WHERE (?1 IS NULL OR budget_id = ?1) AND (?2 IS NULL OR (stop_reason IS NOT NULL) = ?2)
                    ORDER BY last_seen DESC, id LIMIT ?3""");
            ps.setString(1, budgetId);
            if (stopped == null) {
                ps.setNull(2, java.sql.Types.INTEGER);
            } else {
                ps.setInt(2, stopped ? 1 : 0);
            }
            ps.setInt(3, limit);
            List<RunState> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(runState(rs));
                }
            }
            return out;
        });
    }

    @Override
    public Future<RunState> stopRun(String id, String budgetId, String reason) {
        return writer.submit(db -> {
            PreparedStatement ps = db.statement("""
                    INSERT INTO runs (id, budget_id, first_seen, last_seen, stop_reason) VALUES (?1, ?2, ?3, ?3, ?4)
                    ON CONFLICT (id) DO UPDATE SET stop_reason = excluded.stop_reason, budget_id = coalesce(budget_id, excluded.budget_id)
                    WHERE stop_reason IS NULL
                    RETURNING id, budget_id, steps, reserved, committed, first_seen, last_seen, stop_reason""");
            ps.setString(1, id);
            ps.setString(2, budgetId);
            ps.setLong(3, clock.millis());
            ps.setString(4, reason);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    RunState stopped = runState(rs);
                    db.audit(AuditEvents.runStop(stopped));
                    return stopped;
                }
            }
            // Stopped already: the first reason stays, and nothing new is audited.
            return storedRun(db, id);
        });
    }

    @Override
    public Future<Integer> forgetRuns(Instant idleBefore) {
        return writer.submit(db -> {
            PreparedStatement ps = db.statement("""
                    DELETE FROM runs WHERE last_seen < ? AND reserved = 0 AND stop_reason IS NULL
                      AND NOT EXISTS (SELECT 1 FROM reservations WHERE run_id = runs.id AND state = 'held')""");
            ps.setLong(1, idleBefore.toEpochMilli());
            return ps.executeUpdate();
        });
    }

    private static LedgerException unknownRun(String id) {
        return new LedgerException(LedgerException.Kind.UNKNOWN_RUN, "unknown run " + id);
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
        return audit.seal().transform(s -> idempotency.leave()).transform(v -> writer.close()).compose(v -> reader.close());
    }
}
