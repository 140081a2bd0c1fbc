package io.spendguard.proxy.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Calls in flight on the data plane, and the drain that a SIGTERM starts: once draining, no new
 * call is taken ({@link #begin} says no; the listener answers 503 with {@code Retry-After}), and
 * {@link #idle} completes when the last call taken has ended and settled. {@code /readyz} reports
 * the drain so the load balancer stops sending traffic.
 */
public final class Drain {
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Promise<Void> idle = Promise.promise();
    private volatile boolean draining;

    /** Takes a call unless draining; every call taken must be ended with {@link #end}. */
    public boolean begin() {
        inFlight.incrementAndGet();
        if (draining) {
            end();
            return false;
        }
        return true;
    }

    /** A call taken by {@link #begin} has ended (its reply is done and its settlement has landed). */
    public void end() {
        if (inFlight.decrementAndGet() == 0 && draining) {
            idle.tryComplete();
        }
    }

    /** Stops taking calls; the future completes once none is in flight. */
    public Future<Void> start() {
        draining = true;
        if (inFlight.get() == 0) {
            idle.tryComplete();
        }
        return idle.future();
    }

    public boolean draining() {
        return draining;
    }

    /** Calls taken and not yet ended. */
    public int inFlight() {
        return inFlight.get();
    }
}
