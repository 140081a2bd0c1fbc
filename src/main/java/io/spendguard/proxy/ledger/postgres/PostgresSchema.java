package io.spendguard.proxy.ledger.postgres;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/**
 * The PostgreSQL ledger's schema and its migrations. {@code schema_version} records what has been
 * applied; each start applies the versions after it in one transaction under an advisory lock, so
 * replicas starting together neither race nor apply a step twice. A later change to the schema is a
 * new entry at the end of {@link #MIGRATIONS}, never an edit of an old one.
 */
final class PostgresSchema {
    /** Serialises migrations between processes ({@code pg_advisory_xact_lock}); any constant unique to this schema. */
    private static final long LOCK = 0x5347_4c45_4447_4552L;

    /** Migration {@code i} brings the schema to version {@code i + 1}. */
    static final List<List<String>> MIGRATIONS = List.of(List.of(
            """
            CREATE TABLE IF NOT EXISTS budgets (
              id TEXT PRIMARY KEY, spec TEXT NOT NULL, limit_micros BIGINT NOT NULL,
              window_start BIGINT, window_end BIGINT,
              reserved BIGINT NOT NULL DEFAULT 0, committed BIGINT NOT NULL DEFAULT 0)""",
            """
            CREATE TABLE IF NOT EXISTS reservations (
              id TEXT PRIMARY KEY, budget_id TEXT NOT NULL REFERENCES budgets (id), amount BIGINT NOT NULL,
              state TEXT NOT NULL, forwarded BOOLEAN NOT NULL, expires_at BIGINT NOT NULL, created_at BIGINT NOT NULL,
              spent BIGINT, settled_at BIGINT)""",
            "CREATE INDEX IF NOT EXISTS reservations_held ON reservations (expires_at) WHERE state = 'held'",
            """
            CREATE TABLE IF NOT EXISTS idempotency (
              key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, attempt TEXT NOT NULL, owner TEXT NOT NULL,
              status INTEGER, headers TEXT, body BYTEA, expires_at BIGINT NOT NULL)""",
            "CREATE TABLE IF NOT EXISTS instances (id TEXT PRIMARY KEY, heartbeat_at BIGINT NOT NULL)"),
            PostgresAudit.SCHEMA,
            List.of(
                    """
                    CREATE TABLE IF NOT EXISTS runs (
                      id TEXT PRIMARY KEY, budget_id TEXT, steps BIGINT NOT NULL DEFAULT 0,
                      reserved BIGINT NOT NULL DEFAULT 0, committed BIGINT NOT NULL DEFAULT 0,
                      first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, stop_reason TEXT)""",
                    "CREATE INDEX IF NOT EXISTS runs_last_seen ON runs (last_seen DESC, id)",
                    "CREATE INDEX IF NOT EXISTS runs_budget ON runs (budget_id, last_seen DESC, id)",
                    "ALTER TABLE reservations ADD COLUMN IF NOT EXISTS run_id TEXT",
                    "CREATE INDEX IF NOT EXISTS reservations_run_held ON reservations (run_id) WHERE state = 'held'"),
            List.of(
                    "ALTER TABLE budgets ADD COLUMN IF NOT EXISTS parent TEXT",
                    "CREATE INDEX IF NOT EXISTS budgets_parent ON budgets (parent) WHERE parent IS NOT NULL",
                    "ALTER TABLE reservations ADD COLUMN IF NOT EXISTS ancestors TEXT[]"));

    private PostgresSchema() {
    }

    /** Checks the server keeps commits durable, then applies the migrations this database has not seen. */
    static Future<Void> migrate(Pool pool) {
        return pool.withTransaction(conn -> durable(conn)
                .compose(v -> conn.query("SET LOCAL client_min_messages = warning").execute()) // no "already exists" notices
                .compose(v -> conn.preparedQuery("SELECT pg_advisory_xact_lock($1)").execute(Tuple.of(LOCK)))
                .compose(v -> conn.query("""
                        CREATE TABLE IF NOT EXISTS schema_version (
                          version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())""").execute())
                .compose(v -> conn.query("SELECT coalesce(max(version), 0) FROM schema_version").execute())
                .compose(rows -> apply(conn, rows.iterator().next().getInteger(0))));
    }

    /** With {@code synchronous_commit = off} a commit is acknowledged before it is on disk: refuse to run so. */
    private static Future<Void> durable(SqlConnection conn) {
        return conn.query("SHOW synchronous_commit").execute().compose(rows -> {
            String mode = rows.iterator().next().getString(0);
            return mode.equals("off")
                    ? Future.failedFuture(new IllegalStateException("the server runs with synchronous_commit = off "
                            + "(expected: on, so that a settlement is on disk before it is acknowledged)"))
                    : Future.succeededFuture();
        });
    }

    private static Future<Void> apply(SqlConnection conn, int current) {
        Future<Void> chain = Future.succeededFuture();
        for (int version = current + 1; version <= MIGRATIONS.size(); version++) {
            int v = version;
            for (String ddl : MIGRATIONS.get(v - 1)) {
                chain = chain.compose(x -> conn.query(ddl).execute().mapEmpty());
            }
            chain = chain.compose(x -> conn.preparedQuery("INSERT INTO schema_version (version) VALUES ($1)")
                    .execute(Tuple.of(v)).mapEmpty());
        }
        return chain;
    }
}
