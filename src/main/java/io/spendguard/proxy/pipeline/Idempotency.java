package io.spendguard.proxy.pipeline;

import io.spendguard.proxy.config.ProxyConfig.KeyConfig;
import io.spendguard.proxy.ledger.IdempotencyStore;
import io.spendguard.proxy.ledger.IdempotencyStore.Reply;
import io.spendguard.proxy.error.ProxyError;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * Per-key deduplication ({@code Idempotency-Key}, or the key derived from a run's retry,
 * {@link #derived}) over the ledger's {@link IdempotencyStore}. The first request with a key runs;
 * the same key and body while it is in flight is told to retry; once it completed with a 2xx reply
 * (JSON held whole, or a whole SSE stream, up to 4 MiB) that reply is replayed (for the TTL, 10 minutes) and nothing is
 * reserved, forwarded or charged again; a refused or released first call frees the key; a different
 * body under the same key is a conflict. With a durable ledger this holds across restarts. Keys are
 * scoped by caller and route ({@link #scoped}): one caller's key never replays, blocks or conflicts
 * with another caller's.
 */
public final class Idempotency {
    private static final Logger LOG = Logger.getLogger(Idempotency.class.getName());

    /** What {@link #begin} decided: run under {@code attempt}, or replay {@code replay}. */
    public record Claimed(String attempt, Reply replay) { }

    private final IdempotencyStore store;
    private final Clock clock;
    private final Duration ttl;

    public Idempotency(IdempotencyStore store, Clock clock, Duration ttl) {
        this.store = store;
        this.clock = clock;
        this.ttl = ttl;
    }

    /** Claims the key for this request; fails with 409 when it is in flight or was used for another body. */
    public Future<Claimed> begin(String key, String requestHash) {
        return begin(key, requestHash, "idempotency key '" + shown(key) + "'");
    }

    /**
     * As {@link #begin(String, String)}, with the key named in the 409's message by the phrase
     * {@code named} (a key derived from a run is not shown: the client never sent it).
     */
    public Future<Claimed> begin(String key, String requestHash, String named) {
        var now = clock.instant();
        return store.begin(key, requestHash, now, now.plus(ttl)).map(claim -> switch (claim.outcome()) {
            case GO -> new Claimed(claim.attempt(), null);
            case REPLAY -> new Claimed(claim.attempt(), claim.reply());
            case CONFLICT -> throw ProxyError.IDEMPOTENCY_CONFLICT.exception(
                    Character.toUpperCase(named.charAt(0)) + named.substring(1) + " was used for a different request.");
            case IN_FLIGHT -> throw ProxyError.IDEMPOTENCY_IN_FLIGHT.exception(
                    "A request with " + named + " is still in flight.").header("Retry-After", "1");
        });
    }

    /** Stores the attempt's 2xx reply for replay; a store that fails only costs the replay, never the reply. */
    public Future<Void> complete(String key, String attempt, Reply reply) {
        return store.complete(key, attempt, reply, clock.instant().plus(ttl))
                .recover(e -> {
                    LOG.warning("idempotency: could not store the reply for replay: " + e.getMessage());
                    return Future.succeededFuture();
                });
    }

    /** Frees the key: the call was refused, released or cut, so a retry is a new call. */
    public void forget(String key, String attempt) {
        store.forget(key, attempt).onFailure(e -> LOG.warning("idempotency: could not free a key: " + e.getMessage()));
    }

    /**
     * The key as stored: {@code <route>:<caller digest>:<client's key>}. The caller (a virtual key id,
     * or a digest of a passthrough credential) is digested again so the scope has one fixed shape
     * whatever the caller's id holds, and the stored key stays within 256 + 56 characters.
     */
    public static String scoped(String caller, String route, String key) {
        return route + ":" + KeyConfig.sha256("spendguard:idempotency:" + caller).substring(0, 32) + ":" + key;
    }

    /**
     * The key a request of run {@code runId} is deduplicated under when it carries no key of its own:
     * {@code run:} and the SHA-256 of the run id and the request's hash (which covers route and body
     * bytes), so a byte-identical request in the same run is a retry of it and any other is a new call.
     */
    public static String derived(String runId, String requestHash) {
        return "run:" + KeyConfig.sha256(runId + "\0" + requestHash);
    }

    /** The client's key without the route and caller the pipeline scopes it by. */
    private static String shown(String key) {
        return key.substring(key.indexOf(':', key.indexOf(':') + 1) + 1);
    }
}
