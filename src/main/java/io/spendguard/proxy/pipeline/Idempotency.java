package io.spendguard.proxy.pipeline;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.spendguard.proxy.error.ProxyError;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;

/**
 * Per-key deduplication ({@code Idempotency-Key}). The first request with a key runs; the same key
 * and body while it is in flight is told to retry; once it completed with a 2xx JSON reply that reply
 * is replayed (bounded cache, 10 minutes) and nothing is reserved, forwarded or charged again; a
 * refused or released first call frees the key; a different body under the same key is a conflict.
 */
public final class Idempotency {
    /** A stored 2xx reply. */
    public record Replay(int status, MultiMap headers, Buffer body) { }

    private static final class Entry {
        final String requestHash;
        volatile Replay replay;

        Entry(String requestHash) {
            this.requestHash = requestHash;
        }
    }

    private final Cache<String, Entry> entries;

    public Idempotency(Duration ttl, long maxBytes) {
        this.entries = Caffeine.newBuilder()
                .expireAfterWrite(ttl)
                .maximumWeight(maxBytes)
                .weigher((String k, Entry e) -> 256 + k.length() + (e.replay == null ? 0 : e.replay.body().length()))
                .build();
    }

    /** Claims the key for this request; returns a reply to replay, or null to go ahead. */
    public Replay begin(String key, String requestHash) {
        Entry mine = new Entry(requestHash);
        Entry existing = entries.asMap().putIfAbsent(key, mine);
        if (existing == null) {
            return null;
        }
        if (!existing.requestHash.equals(requestHash)) {
            throw ProxyError.IDEMPOTENCY_CONFLICT.exception("Idempotency key '" + key + "' was used for a different request.");
        }
        Replay replay = existing.replay;
        if (replay == null) {
            throw ProxyError.IDEMPOTENCY_IN_FLIGHT.exception("A request with idempotency key '" + key + "' is still in flight.")
                    .header("Retry-After", "1");
        }
        return replay;
    }

    /** Stores the 2xx reply for replay. */
    public void complete(String key, Replay replay) {
        Entry e = entries.getIfPresent(key);
        if (e != null) {
            e.replay = replay;
            entries.put(key, e);
        }
    }

    /** Frees the key: the call was refused, released or cut, so a retry is a new call. */
    public void forget(String key) {
        entries.invalidate(key);
    }
}
