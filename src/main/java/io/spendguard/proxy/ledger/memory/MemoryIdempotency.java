package io.spendguard.proxy.ledger.memory;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.spendguard.proxy.ledger.IdempotencyStore;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Idempotency records in memory (the memory ledger's): bounded by bytes, each kept for the
 * store's TTL after it was last written. Every record belongs to this process, so an attempt in
 * flight is never stale.
 */
public final class MemoryIdempotency implements IdempotencyStore {
    private record Entry(String requestHash, String attempt, Reply reply) { }

    private final Cache<String, Entry> entries;

    public MemoryIdempotency(Duration ttl, long maxBytes) {
        this.entries = Caffeine.newBuilder()
                .expireAfterWrite(ttl)
                .maximumWeight(maxBytes)
                .weigher((String k, Entry e) -> 256 + k.length() + (e.reply == null ? 0 : e.reply.body().length()))
                .build();
    }

    @Override
    public Future<Claim> begin(String key, String requestHash, Instant now, Instant expiresAt) {
        Entry mine = new Entry(requestHash, UUID.randomUUID().toString(), null);
        Entry existing = entries.asMap().putIfAbsent(key, mine);
        if (existing == null) {
            return Future.succeededFuture(Claim.go(mine.attempt()));
        }
        if (!existing.requestHash().equals(requestHash)) {
            return Future.succeededFuture(Claim.of(Outcome.CONFLICT));
        }
        return Future.succeededFuture(existing.reply() == null ? Claim.of(Outcome.IN_FLIGHT)
                : new Claim(Outcome.REPLAY, existing.attempt(), existing.reply()));
    }

    @Override
    public Future<Void> complete(String key, String attempt, Reply reply, Instant expiresAt) {
        entries.asMap().computeIfPresent(key, (k, e) -> e.attempt().equals(attempt) ? new Entry(e.requestHash(), attempt, reply) : e);
        return Future.succeededFuture();
    }

    @Override
    public Future<Void> forget(String key, String attempt) {
        entries.asMap().computeIfPresent(key, (k, e) -> e.attempt().equals(attempt) ? null : e);
        return Future.succeededFuture();
    }
}
