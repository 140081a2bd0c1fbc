package io.spendguard.proxy.ledger;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;

/**
 * Idempotency records ({@code Idempotency-Key}), kept beside the ledger so that a durable ledger
 * keeps them across restarts and shares them between replicas. A record is claimed by one
 * <em>attempt</em> at a time; the attempt id feeds the decision's ids, so an attempt that is taken
 * over after its process died asks the gate with the same ids and collapses onto the same hold.
 */
public interface IdempotencyStore {

    /**
     * Claims {@code key} for a request whose route and body hash to {@code requestHash}. The answer:
     * go ahead (a new attempt, or one taken over from a process that is no longer alive), replay a
     * stored reply, the same request is in flight elsewhere, or the key was used for another request.
     */
    Future<Claim> begin(String key, String requestHash, Instant now, Instant expiresAt);

    /** Stores the attempt's 2xx reply for replay until {@code expiresAt}. */
    Future<Void> complete(String key, String attempt, Reply reply, Instant expiresAt);

    /** Frees the key (the attempt was refused, released or cut): a retry is a new call. */
    Future<Void> forget(String key, String attempt);

    /** What {@link #begin} found. */
    enum Outcome { GO, REPLAY, IN_FLIGHT, CONFLICT }

    /** The outcome, the attempt to run under (GO), or the reply to replay (REPLAY). */
    record Claim(Outcome outcome, String attempt, Reply reply) {
        public static Claim go(String attempt) {
            return new Claim(Outcome.GO, attempt, null);
        }

        public static Claim of(Outcome outcome) {
            return new Claim(outcome, null, null);
        }
    }

    /** A stored 2xx reply. */
    record Reply(int status, MultiMap headers, Buffer body) { }
}
