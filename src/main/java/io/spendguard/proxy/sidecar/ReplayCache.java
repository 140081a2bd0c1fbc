package io.spendguard.proxy.sidecar;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.grpc.common.GrpcStatus;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Idempotent replay of {@code RequestDecision}: the first request under a key runs; a repeat with
 * the same fingerprint gets the original response (the same future, so a repeat that arrives while
 * the first is still being decided waits for it rather than reserving twice); a repeat with another
 * fingerprint is refused with FAILED_PRECONDITION {@code IDEMPOTENCY_CONFLICT}. A first attempt that
 * fails is forgotten, so its retry runs afresh. Bounded in size and age.
 */
final class ReplayCache<T> {
    private record Entry<T>(byte[] fingerprint, Future<T> response) { }

    private final Cache<String, Entry<T>> entries;

    ReplayCache(Duration ttl, long maxEntries) {
        this.entries = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(maxEntries).build();
    }

    Future<T> once(String key, byte[] fingerprint, Supplier<Future<T>> first) {
        Promise<T> promise = Promise.promise();
        Entry<T> mine = new Entry<>(fingerprint, promise.future());
        Entry<T> prior = entries.asMap().putIfAbsent(key, mine);
        if (prior != null) {
            return MessageDigest.isEqual(prior.fingerprint(), fingerprint)
                    ? prior.response()
                    : Future.failedFuture(Wire.status(GrpcStatus.FAILED_PRECONDITION, "IDEMPOTENCY_CONFLICT: idempotency key '"
                            + key + "' was already used for a different request"));
        }
        Future<T> result;
        try {
            result = first.get();
        } catch (RuntimeException e) {
            result = Future.failedFuture(e);
        }
        result.onComplete(ar -> {
            if (ar.succeeded()) {
                promise.complete(ar.result());
            } else {
                entries.asMap().remove(key, mine);
                promise.fail(ar.cause());
            }
        });
        return promise.future();
    }
}
