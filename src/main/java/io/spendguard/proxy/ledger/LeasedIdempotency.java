package io.spendguard.proxy.ledger;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Idempotency records in a database that several processes may share (the SQLite file, the
 * PostgreSQL ledger). Each process registers as an instance and heartbeats every
 * {@link #HEARTBEAT}; an attempt in flight whose process has not been heard from for {@link #LEASE}
 * is taken over by the next retry under the same attempt id, so it collapses onto the same hold.
 * A backend says how its instance row is written and removed; the lease's timing lives here.
 */
public abstract class LeasedIdempotency implements IdempotencyStore {
    /** How often a live process refreshes its instance row. */
    public static final Duration HEARTBEAT = Duration.ofSeconds(2);
    /** How long a process may stay silent before its attempts in flight may be taken over. */
    public static final Duration LEASE = Duration.ofSeconds(10);
    /** How long a silent instance's row is kept before the sweeper drops it. */
    protected static final Duration FORGET_INSTANCES = Duration.ofHours(1);

    /** This process's instance id, the owner of the attempts it starts. */
    protected final String instance;
    private Vertx vertx;
    private long timer = -1;

    protected LeasedIdempotency(String instance) {
        this.instance = instance;
    }

    /** Writes or refreshes this process's instance row, heard from at {@code now}. */
    protected abstract Future<Void> heartbeat(Instant now);

    /** Deregisters this process (a clean stop): what it still had in flight can be taken over at once. */
    public abstract Future<Void> leave();

    /** Registers this process, then keeps heartbeating on {@code vertx}'s timer until {@link #stopHeartbeat}. */
    public final Future<Void> join(Vertx vertx, Clock clock) {
        return heartbeat(clock.instant()).map(v -> {
            this.vertx = vertx;
            this.timer = vertx.setPeriodic(HEARTBEAT.toMillis(), id -> heartbeat(clock.instant()));
            return null;
        });
    }

    /** Stops the heartbeat (the first step of closing the ledger). */
    public final void stopHeartbeat() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** True when an instance last heard from at {@code heardAtMillis} (null: never) still holds its lease at {@code now}. */
    protected static boolean alive(Long heardAtMillis, Instant now) {
        return heardAtMillis != null && heardAtMillis > now.minus(LEASE).toEpochMilli();
    }

    /** Headers as a JSON array of [name, value] pairs, in order. */
    protected static String encode(MultiMap headers) {
        JsonArray out = new JsonArray();
        for (Map.Entry<String, String> h : headers) {
            out.add(new JsonArray().add(h.getKey()).add(h.getValue()));
        }
        return out.encode();
    }

    /** Headers stored by {@link #encode}. */
    protected static MultiMap headers(String encoded) {
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        for (Object pair : new JsonArray(encoded)) {
            JsonArray p = (JsonArray) pair;
            out.add(p.getString(0), p.getString(1));
        }
        return out;
    }
}
