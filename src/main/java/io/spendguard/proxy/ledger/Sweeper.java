package io.spendguard.proxy.ledger;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Settles holds whose call never settled (the process that held them died, or lost them) once
 * their TTL has passed: periodically, and on demand. Passes never overlap.
 */
public final class Sweeper {
    private static final Logger LOG = Logger.getLogger(Sweeper.class.getName());

    private final Vertx vertx;
    private final Ledger ledger;
    private final Clock clock;
    private final Consumer<List<Ledger.Expired>> onExpired;
    private Future<List<Ledger.Expired>> running;
    private long timer = -1;

    public Sweeper(Vertx vertx, Ledger ledger, Clock clock, Consumer<List<Ledger.Expired>> onExpired) {
        this.vertx = vertx;
        this.ledger = ledger;
        this.clock = clock;
        this.onExpired = onExpired;
    }

    /** Sweeps now and then every {@code intervalMs}. */
    public Sweeper start(long intervalMs) {
        sweep();
        timer = vertx.setPeriodic(intervalMs, id -> sweep());
        return this;
    }

    /** One pass (or the pass already running): the holds it settled. */
    public synchronized Future<List<Ledger.Expired>> sweep() {
        if (running != null && !running.isComplete()) {
            return running;
        }
        running = ledger.sweep(clock.instant()).onSuccess(expired -> {
            if (!expired.isEmpty()) {
                long committed = expired.stream().filter(Ledger.Expired::committed).count();
                LOG.warning("ledger: settled " + expired.size() + " expired holds (" + committed + " committed at the held amount, "
                        + (expired.size() - committed) + " released: never forwarded)");
                onExpired.accept(expired);
            }
        }).onFailure(e -> LOG.warning("ledger: sweep failed: " + e.getMessage()));
        return running;
    }

    public void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }
}
