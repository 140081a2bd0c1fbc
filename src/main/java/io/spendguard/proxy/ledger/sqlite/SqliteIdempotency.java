package io.spendguard.proxy.ledger.sqlite;

import io.spendguard.proxy.ledger.LeasedIdempotency;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;

/**
 * Idempotency records in the SQLite ledger file, written through the same group-committed writer
 * as the holds. Processes sharing the file hold leases on their attempts in flight
 * ({@link LeasedIdempotency}).
 */
final class SqliteIdempotency extends LeasedIdempotency {
    private final SqliteThread writer;

    SqliteIdempotency(SqliteThread writer, String instance) {
        super(instance);
        this.writer = writer;
    }

    @Override
    protected Future<Void> heartbeat(Instant now) {
        return writer.submit(db -> {
            PreparedStatement ps = db.statement("""
                    INSERT INTO instances (id, heartbeat_at) VALUES (?, ?)
                    ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at""");
            ps.setString(1, instance);
            ps.setLong(2, now.toEpochMilli());
            ps.executeUpdate();
            return null;
        });
    }

    @Override
    public Future<Void> leave() {
        return writer.submit(db -> {
            PreparedStatement ps = db.statement("DELETE FROM instances WHERE id = ?");
            ps.setString(1, instance);
            ps.executeUpdate();
            return null;
        });
    }

    @Override
    public Future<Claim> begin(String key, String requestHash, Instant now, Instant expiresAt) {
        return writer.submit(db -> {
            PreparedStatement find = db.statement("""
                    SELECT i.request_hash, i.attempt, i.owner, i.status, i.headers, i.body, i.expires_at, o.heartbeat_at
                    FROM idempotency i LEFT JOIN instances o ON o.id = i.owner WHERE i.key = ?""");
            find.setString(1, key);
            try (ResultSet rs = find.executeQuery()) {
                if (rs.next() && rs.getLong(7) > now.toEpochMilli()) {
                    if (!rs.getString(1).equals(requestHash)) {
                        return Claim.of(Outcome.CONFLICT);
                    }
                    String attempt = rs.getString(2);
                    int status = rs.getInt(4);
                    if (!rs.wasNull()) {
                        return new Claim(Outcome.REPLAY, attempt, new Reply(status, headers(rs.getString(5)), Buffer.buffer(rs.getBytes(6))));
                    }
                    long heard = rs.getLong(8);
                    Long heardAt = rs.wasNull() ? null : heard;
                    if (rs.getString(3).equals(instance) || alive(heardAt, now)) {
                        return Claim.of(Outcome.IN_FLIGHT);
                    }
                    claim(db, key, requestHash, attempt, expiresAt);
                    return Claim.go(attempt);
                }
            }
            String attempt = UUID.randomUUID().toString();
            claim(db, key, requestHash, attempt, expiresAt);
            return Claim.go(attempt);
        });
    }

    private void claim(SqliteThread db, String key, String requestHash, String attempt, Instant expiresAt) throws SQLException {
        PreparedStatement ps = db.statement("""
                INSERT OR REPLACE INTO idempotency (key, request_hash, attempt, owner, status, headers, body, expires_at)
                VALUES (?, ?, ?, ?, NULL, NULL, NULL, ?)""");
        ps.setString(1, key);
        ps.setString(2, requestHash);
        ps.setString(3, attempt);
        ps.setString(4, instance);
        ps.setLong(5, expiresAt.toEpochMilli());
        ps.executeUpdate();
    }

    @Override
    public Future<Void> complete(String key, String attempt, Reply reply, Instant expiresAt) {
        return writer.submit(db -> {
            PreparedStatement ps = db.statement(
                    "UPDATE idempotency SET status = ?, headers = ?, body = ?, expires_at = ? WHERE key = ? AND attempt = ?");
            ps.setInt(1, reply.status());
            ps.setString(2, encode(reply.headers()));
            ps.setBytes(3, reply.body().getBytes());
            ps.setLong(4, expiresAt.toEpochMilli());
            ps.setString(5, key);
            ps.setString(6, attempt);
            ps.executeUpdate();
            return null;
        });
    }

    @Override
    public Future<Void> forget(String key, String attempt) {
        return writer.submit(db -> {
            PreparedStatement ps = db.statement("DELETE FROM idempotency WHERE key = ? AND attempt = ?");
            ps.setString(1, key);
            ps.setString(2, attempt);
            ps.executeUpdate();
            return null;
        });
    }

    /** Drops expired records and instances not heard from for a long while (inside the sweeper's batch). */
    void prune(SqliteThread db, Instant now) throws SQLException {
        PreparedStatement records = db.statement("DELETE FROM idempotency WHERE expires_at <= ?");
        records.setLong(1, now.toEpochMilli());
        records.executeUpdate();
        PreparedStatement instances = db.statement("DELETE FROM instances WHERE heartbeat_at <= ?");
        instances.setLong(1, now.minus(FORGET_INSTANCES).toEpochMilli());
        instances.executeUpdate();
    }
}
