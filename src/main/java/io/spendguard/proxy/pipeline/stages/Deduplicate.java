package io.spendguard.proxy.pipeline.stages;

import io.spendguard.proxy.config.RunsConfig;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.pipeline.Exchange;
import io.spendguard.proxy.pipeline.Idempotency;
import io.spendguard.proxy.pipeline.Stage;
import io.vertx.core.Future;

/**
 * Claims the call's {@code Idempotency-Key} (or {@code X-SpendGuard-Idempotency-Key}), if it has one,
 * within the caller's own scope and route: another caller's key of the same name is another key. A
 * call of an agent run ({@code X-SpendGuard-Run-Id}) without a key of its own is, with
 * {@code runs.dedupe_retries} (the default), deduplicated under a key derived from the run id and its
 * route and body bytes ({@link Idempotency#derived}): a byte-identical request in the same run is a
 * retry. A completed earlier call with the same key and body is answered from its stored reply
 * (REPLAYED: nothing is reserved, forwarded or charged, and it is no step of the run); one in flight,
 * or a different body, is a 409.
 */
public final class Deduplicate implements Stage {
    /** The longest idempotency key taken. */
    static final int MAX_KEY_CHARS = 256;

    private final Idempotency idempotency;
    private final RunsConfig runs;

    public Deduplicate(Idempotency idempotency, RunsConfig runs) {
        this.idempotency = idempotency;
        this.runs = runs;
    }

    @Override
    public Future<Void> apply(Exchange x) {
        String key = x.headers().get("Idempotency-Key");
        if (key == null) {
            key = x.headers().get("X-SpendGuard-Idempotency-Key");
        }
        if (key == null || key.isBlank()) {
            return retryOfRun(x);
        }
        if (key.length() > MAX_KEY_CHARS) {
            return Future.failedFuture(ProxyError.INVALID_REQUEST.exception("The idempotency key is longer than 256 characters."));
        }
        String scoped = Idempotency.scoped(x.caller(), x.shape().route(), key);
        return claim(x, scoped, idempotency.begin(scoped, x.requestHash()));
    }

    /** A run's call without a key: a byte-identical request in the same run is a retry of it. */
    private Future<Void> retryOfRun(Exchange x) {
        String run = x.headers().get(CallHeaders.RUN_ID);
        if (!runs.dedupeRetries() || run == null || run.isBlank()) {
            return Future.succeededFuture();
        }
        String scoped = Idempotency.scoped(x.caller(), x.shape().route(), Idempotency.derived(run, x.requestHash()));
        return claim(x, scoped, idempotency.begin(scoped, x.requestHash(), "the same body in this run"));
    }

    private static Future<Void> claim(Exchange x, String scoped, Future<Idempotency.Claimed> begun) {
        return begun.compose(claimed -> {
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
