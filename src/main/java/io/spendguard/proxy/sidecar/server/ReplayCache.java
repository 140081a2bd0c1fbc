package io.spendguard.proxy.sidecar.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.spendguard.proxy.sidecar.Wire;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.grpc.common.GrpcStatus;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Idempotent replay of {@code RequestDecision}: the first request under a key runs; a repeat with
 * the same fingerprint gets the original response (the same future, so a repeat that arrives while
 * the first is still being decided waits for it rather than reserving twice); a repeat with another
 * fingerprint is refused with FAILED_PRECONDITION {@code IDEMPOTENCY_CONFLICT}. A first attempt that
 * fails is forgotten, so its retry runs afresh. Bounded in size and age. An answered entry keeps its
 * response encoded ({@code encode}, one byte array) rather than as the message's object graph: every
 * decision is kept for minutes, and tens of thousands of live message graphs would be copied by every
 * young collection.
 */
final class ReplayCache<T> {
    /** In flight: {@code pending}; answered: {@code response}, encoded. */
    private record Entry<T>(byte[] fingerprint, Future<T> pending, byte[] response) { }

    private final Cache<String, Entry<T>> entries;
    private final Function<T, byte[]> encode;
    private final Function<byte[], T> decode;

    ReplayCache(Duration ttl, long maxEntries, Function<T, byte[]> encode, Function<byte[], T> decode) {
        // upkeep on the caller's thread: handed to the common pool, it woke a pool thread every few calls
        this.entries = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(maxEntries).executor(Runnable::run).build();
        this.encode = encode;
        this.decode = decode;
    }

    Future<T> once(String key, byte[] fingerprint, Supplier<Future<T>> first) {
        Promise<T> promise = Promise.promise();
        Entry<T> mine = new Entry<>(fingerprint, promise.future(), null);
        Entry<T> prior = entries.asMap().putIfAbsent(key, mine);
        if (prior != null) {
            return MessageDigest.isEqual(prior.fingerprint(), fingerprint)
                    ? (prior.pending() != null ? prior.pending() : Future.succeededFuture(decode.apply(prior.response())))
                    : Future.failedFuture(Messages.status(GrpcStatus.FAILED_PRECONDITION, Wire.IDEMPOTENCY_CONFLICT + ": idempotency key '"
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
                entries.asMap().replace(key, mine, new Entry<>(fingerprint, null, encode.apply(ar.result())));
                promise.complete(ar.result());
            } else {
                entries.asMap().remove(key, mine);
                promise.fail(ar.cause());
            }
        });
        return promise.future();
    }
}
