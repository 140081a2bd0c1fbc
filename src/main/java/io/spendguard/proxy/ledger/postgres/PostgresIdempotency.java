package io.spendguard.proxy.ledger.postgres;

import io.spendguard.proxy.ledger.LeasedIdempotency;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.UUID;

/**
 * Idempotency records in the PostgreSQL ledger, shared by every replica, each holding leases on its
 * attempts in flight ({@link LeasedIdempotency}). A claim is an
 * {@code INSERT … ON CONFLICT DO NOTHING}, and deciding about an existing record happens with that
 * row locked, so two replicas never both go ahead. Each operation is its own short transaction on
 * one row; concurrent ones share WAL flushes through PostgreSQL's own group commit.
 */
final class PostgresIdempotency extends LeasedIdempotency {
    private final Pool pool;

    PostgresIdempotency(Pool pool, String instance) {
        super(instance);
        this.pool = pool;
    }

    @Override
    protected Future<Void> heartbeat(Instant now) {
        return pool.preparedQuery("""
                INSERT INTO instances (id, heartbeat_at) VALUES ($1, $2)
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at""")
                .execute(Tuple.of(instance, now.toEpochMilli())).mapEmpty();
    }

    @Override
    public Future<Void> leave() {
        return pool.preparedQuery("DELETE FROM instances WHERE id = $1").execute(Tuple.of(instance)).mapEmpty();
    }

    @Override
    public Future<Claim> begin(String key, String requestHash, Instant now, Instant expiresAt) {
        String fresh = UUID.randomUUID().toString();
        return pool.withTransaction(conn -> conn.preparedQuery("""
                INSERT INTO idempotency (key, request_hash, attempt, owner, expires_at) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (key) DO NOTHING""")
                .execute(Tuple.of(key, requestHash, fresh, instance, expiresAt.toEpochMilli()))
                .compose(inserted -> inserted.rowCount() == 1 ? Future.succeededFuture(Claim.go(fresh))
                        : existing(conn, key, requestHash, fresh, now, expiresAt)));
    }

    /** Decides about a record that is already there, with its row locked. */
    private Future<Claim> existing(SqlConnection conn, String key, String requestHash, String fresh, Instant now, Instant expiresAt) {
        return conn.preparedQuery("""
                SELECT i.request_hash, i.attempt, i.owner, i.status, i.headers, i.body, i.expires_at, o.heartbeat_at
                FROM idempotency i LEFT JOIN instances o ON o.id = i.owner WHERE i.key = $1 FOR UPDATE OF i""")
                .execute(Tuple.of(key)).compose(rows -> {
                    if (rows.size() == 0) {
                        // freed by its attempt between our insert and this read: the caller's retry starts afresh
                        return Future.succeededFuture(Claim.of(Outcome.IN_FLIGHT));
                    }
                    Row r = rows.iterator().next();
                    if (r.getLong(6) <= now.toEpochMilli()) {
                        return claim(conn, key, requestHash, fresh, expiresAt, true);
                    }
                    if (!r.getString(0).equals(requestHash)) {
                        return Future.succeededFuture(Claim.of(Outcome.CONFLICT));
                    }
                    String attempt = r.getString(1);
                    if (r.getInteger(3) != null) {
                        Buffer body = r.getBuffer(5);
                        return Future.succeededFuture(new Claim(Outcome.REPLAY, attempt,
                                new Reply(r.getInteger(3), headers(r.getString(4)), body == null ? Buffer.buffer() : body)));
                    }
                    if (r.getString(2).equals(instance) || alive(r.getLong(7), now)) {
                        return Future.succeededFuture(Claim.of(Outcome.IN_FLIGHT));
                    }
                    return claim(conn, key, requestHash, attempt, expiresAt, false);
                });
    }

    /** Makes this process the record's owner under {@code attempt}; a new attempt also clears any old reply. */
    private Future<Claim> claim(SqlConnection conn, String key, String requestHash, String attempt, Instant expiresAt, boolean fresh) {
        String sql = fresh
                ? "UPDATE idempotency SET request_hash = $2, attempt = $3, owner = $4, expires_at = $5, status = NULL, headers = NULL, body = NULL WHERE key = $1"
                : "UPDATE idempotency SET request_hash = $2, attempt = $3, owner = $4, expires_at = $5 WHERE key = $1";
        return conn.preparedQuery(sql).execute(Tuple.of(key, requestHash, attempt, instance, expiresAt.toEpochMilli()))
                .map(v -> Claim.go(attempt));
    }

    @Override
    public Future<Void> complete(String key, String attempt, Reply reply, Instant expiresAt) {
        return pool.preparedQuery("UPDATE idempotency SET status = $3, headers = $4, body = $5, expires_at = $6 WHERE key = $1 AND attempt = $2")
                .execute(Tuple.of(key, attempt, reply.status(), encode(reply.headers()), reply.body(),
                        expiresAt.toEpochMilli()))
                .mapEmpty();
    }

    @Override
    public Future<Void> forget(String key, String attempt) {
        return pool.preparedQuery("DELETE FROM idempotency WHERE key = $1 AND attempt = $2").execute(Tuple.of(key, attempt)).mapEmpty();
    }

    /** Drops expired records and instances not heard from for a long while. */
    Future<Void> prune(Instant now) {
        return pool.preparedQuery("DELETE FROM idempotency WHERE expires_at <= $1").execute(Tuple.of(now.toEpochMilli()))
                .compose(v -> pool.preparedQuery("DELETE FROM instances WHERE heartbeat_at <= $1")
                        .execute(Tuple.of(now.minus(FORGET_INSTANCES).toEpochMilli())))
                .mapEmpty();
    }
}
