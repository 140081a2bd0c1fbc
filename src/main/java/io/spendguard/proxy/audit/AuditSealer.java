package io.spendguard.proxy.audit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.logging.Logger;

/**
 * Signs what a durable ledger wrote. The ledger stores each change's records, linked into the
 * chain but unsigned, in the change's own transaction, and reports the head it wrote once that
 * transaction committed; within {@value #LINGER_MS} ms the sealer signs the newest such head — the
 * hash this process computed itself, never one read back — off the event loop and stores that
 * signature for every unsigned record up to it (the chain makes it cover them all). Signing costs
 * about a millisecond, so under load one signature covers every change of those milliseconds
 * instead of each paying for its own. A stamp that fails is retried by the next one, which covers
 * everything still unsigned below its head.
 */
public final class AuditSealer {
    private static final Logger LOG = Logger.getLogger(AuditSealer.class.getName());
    static final long LINGER_MS = 50;

    /** Stores {@code signature} (over record {@code seq}) as the one of every record up to {@code seq} that has none. */
    public interface Stamp {
        Future<Void> stamp(long seq, String signature);
    }

    private final Vertx vertx;
    private final AuditChain chain;
    private final Stamp stamp;
    private AuditChain.Head pending;
    private boolean scheduled;
    private Future<Void> running = Future.succeededFuture();

    public AuditSealer(Vertx vertx, AuditChain chain, Stamp stamp) {
        this.vertx = vertx;
        this.chain = chain;
        this.stamp = stamp;
    }

    /** A transaction that wrote records up to {@code head} has committed: sign it soon. */
    public synchronized void committed(AuditChain.Head head) {
        if (pending == null || head.seq() > pending.seq()) {
            pending = head;
        }
        if (!scheduled) {
            scheduled = true;
            vertx.setTimer(LINGER_MS, id -> seal());
        }
    }

    /** Signs and stamps what this process wrote and has not signed yet; completes once it is stored. */
    public Future<Void> seal() {
        AuditChain.Head head;
        Promise<Void> done = Promise.promise();
        synchronized (this) {
            head = pending;
            pending = null;
            scheduled = false;
            if (head == null) {
                return running; // the newest seal under way (or done) already covers what was committed
            }
            running = done.future();
        }
        vertx.executeBlocking(() -> chain.sign(head.hash()), false)
                .compose(signature -> stamp.stamp(head.seq(), signature))
                .onFailure(e -> LOG.warning("audit: signing records up to " + head.seq() + " failed (" + e.getMessage()
                        + "); the next signature covers them"))
                .onComplete(done);
        return done.future();
    }
}
