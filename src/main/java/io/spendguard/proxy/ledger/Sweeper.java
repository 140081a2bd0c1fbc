package io.spendguard.proxy.ledger;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.logging.Logger;

/**
 * Settles holds whose call never settled (the process that held them died, or lost them) once
 * their TTL has passed: periodically, and on demand. Passes never overlap. Each pass then forgets the
 * agent runs idle for longer than {@code runs.idle_ttl} ({@link Ledger#forgetRuns}) and reports how
 * many runs are active (not stopped; counted up to {@value #ACTIVE_RUNS_COUNTED}).
 */
public final class Sweeper {
    private static final Logger LOG = Logger.getLogger(Sweeper.class.getName());

    private final Vertx vertx;
    private final Ledger ledger;
    private final Clock clock;
    private final Consumer<List<Ledger.Expired>> onExpired;
    private final Duration runIdleTtl;
    private final IntConsumer runsActive;
    private Future<List<Ledger.Expired>> running;
    private long timer = -1;

    /** The most active runs a pass counts. */
    public static final int ACTIVE_RUNS_COUNTED = 10_000;

    /** A sweeper of holds only: runs are neither forgotten nor counted. */
    public Sweeper(Vertx vertx, Ledger ledger, Clock clock, Consumer<List<Ledger.Expired>> onExpired) {
        this(vertx, ledger, clock, onExpired, null, n -> { });
    }

    /** {@code runIdleTtl}: how long a run may go without a call before it is forgotten; {@code runsActive} is told the active runs. */
    public Sweeper(Vertx vertx, Ledger ledger, Clock clock, Consumer<List<Ledger.Expired>> onExpired, Duration runIdleTtl,
                   IntConsumer runsActive) {
        this.vertx = vertx;
        this.ledger = ledger;
        this.clock = clock;
        this.onExpired = onExpired;
        this.runIdleTtl = runIdleTtl;
        this.runsActive = runsActive;
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
        Instant now = clock.instant();
        running = ledger.sweep(now).onSuccess(expired -> {
            if (!expired.isEmpty()) {
                long committed = expired.stream().filter(Ledger.Expired::committed).count();
                LOG.warning("ledger: settled " + expired.size() + " expired holds (" + committed + " committed at the held amount, "
                        + (expired.size() - committed) + " released: never forwarded)");
                onExpired.accept(expired);
            }
        }).onFailure(e -> LOG.warning("ledger: sweep failed: " + e.getMessage()))
                .compose(expired -> runs(now).map(expired));
        return running;
    }

    /** Forgets idle runs and counts the active ones. */
    private Future<Void> runs(Instant now) {
        if (runIdleTtl == null) {
            return Future.succeededFuture();
        }
        return ledger.forgetRuns(now.minus(runIdleTtl))
                .compose(forgotten -> ledger.runs(null, false, ACTIVE_RUNS_COUNTED))
                .onSuccess(active -> runsActive.accept(active.size()))
                .<Void>mapEmpty()
                .recover(e -> {
                    LOG.warning("ledger: forgetting idle runs failed: " + e.getMessage());
                    return Future.succeededFuture();
                });
    }

    public void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }
}
