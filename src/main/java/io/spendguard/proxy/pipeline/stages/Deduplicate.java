package io.spendguard.proxy.pipeline.stages;

import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.pipeline.Exchange;
import io.spendguard.proxy.pipeline.Idempotency;
import io.spendguard.proxy.pipeline.Stage;
import io.vertx.core.Future;

/**
 * Claims the call's {@code Idempotency-Key} (or {@code X-SpendGuard-Idempotency-Key}), if it has one,
 * within the caller's own scope and route: another caller's key of the same name is another key. A
 * completed earlier call with the same key and body is answered from its stored reply (REPLAYED:
 * nothing is reserved, forwarded or charged); one in flight, or a different body, is a 409.
 */
public final class Deduplicate implements Stage {
    /** The longest idempotency key taken. */
    static final int MAX_KEY_CHARS = 256;

    private final Idempotency idempotency;

    public Deduplicate(Idempotency idempotency) {
        this.idempotency = idempotency;
    }

    @Override
    public Future<Void> apply(Exchange x) {
        String key = x.headers().get("Idempotency-Key");
        if (key == null) {
            key = x.headers().get("X-SpendGuard-Idempotency-Key");
        }
        if (key == null || key.isBlank()) {
            return Future.succeededFuture();
        }
        if (key.length() > MAX_KEY_CHARS) {
            return Future.failedFuture(ProxyError.INVALID_REQUEST.exception("The idempotency key is longer than 256 characters."));
        }
        String scoped = Idempotency.scoped(x.caller(), x.shape().route(), key);
        return idempotency.begin(scoped, x.requestHash()).compose(claimed -> {
            if (claimed.replay() != null) {
                x.replayed();
                return x.client().replay(claimed.replay());
            }
            x.claimed(scoped, claimed.attempt());
            return Future.succeededFuture();
        });
    }

    /** Frees the key once the call is over, unless its reply was kept for replay: a refused or released call may be retried. */
    public void release(Exchange x) {
        if (x.idempotencyKey() != null && !x.isReplayKept()) {
            idempotency.forget(x.idempotencyKey(), x.attempt());
        }
    }
}
