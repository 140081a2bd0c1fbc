package io.spendguard.proxy.ledger.sqlite;

import io.spendguard.proxy.ledger.IdempotencyStore;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * Idempotency records in the SQLite ledger file, written through the same group-committed writer
 * as the holds. Each process registers as an instance and heartbeats; an attempt in flight whose
 * process has not been heard from for {@link #LEASE} is taken over by the next retry, under the same
 * attempt id (so it collapses onto the same hold).
 */
public final class SqliteIdempotency implements IdempotencyStore {
    public static final Duration HEARTBEAT = Duration.ofSeconds(2);
    public static final Duration LEASE = Duration.ofSeconds(10);

    private final SqliteThread writer;
    private final String instance;

    SqliteIdempotency(SqliteThread writer, String instance) {
        this.writer = writer;
        this.instance = instance;
    }

    Future<Void> heartbeat(Instant now) {
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

    /** Deregisters this process (a clean stop): what it still had in flight can be taken over at once. */
    Future<Void> leave() {
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
                    boolean ownerAlive = !rs.wasNull() && heard > now.minus(LEASE).toEpochMilli();
                    if (rs.getString(3).equals(instance) || ownerAlive) {
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
        instances.setLong(1, now.minus(Duration.ofHours(1)).toEpochMilli());
        instances.executeUpdate();
    }

    /** Headers as a JSON array of [name, value] pairs, in order. */
    public static String encode(MultiMap headers) {
        JsonArray out = new JsonArray();
        for (Map.Entry<String, String> h : headers) {
            out.add(new JsonArray().add(h.getKey()).add(h.getValue()));
        }
        return out.encode();
    }

    public static MultiMap headers(String encoded) {
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        for (Object pair : new JsonArray(encoded)) {
            JsonArray p = (JsonArray) pair;
            out.add(p.getString(0), p.getString(1));
        }
        return out;
    }
}
