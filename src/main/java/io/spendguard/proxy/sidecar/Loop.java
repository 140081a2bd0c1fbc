package io.spendguard.proxy.sidecar;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * One Vert.x event loop, as a context that runs on it and its thread. Both ends of the sidecar
 * protocol keep the state of a connection on the loop that owns the connection; work for it runs
 * at once when the caller is already on that thread (the common case: no task queued, no wake-up
 * of another thread) and is queued to the loop otherwise.
 */
public record Loop(Context context, Thread thread) {

    /** The loop the caller runs on. */
    public static Loop current() {
        Context context = Vertx.currentContext();
        if (context == null || !Context.isOnEventLoopThread()) {
            throw new IllegalStateException("not on a Vert.x event loop: " + Thread.currentThread().getName());
        }
        return new Loop(context, Thread.currentThread());
    }

    /** True when the caller runs on this loop's thread. */
    public boolean here() {
        return Thread.currentThread() == thread;
    }

    /** Runs {@code task} on this loop: now when already on it, else as soon as the loop gets to it. */
    public void run(Runnable task) {
        if (here()) {
            task.run();
        } else {
            context.runOnContext(v -> task.run());
        }
    }
}
