package io.spendguard.proxy.ledger.memory;

import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.audit.AuditLog;
import io.spendguard.proxy.audit.AuditRecord;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The memory ledger's audit chain: kept in this process, its most recent {@code capacity} records
 * only (older ones are dropped and verification starts after them). Events are queued in ledger
 * order and sealed on one thread of its own, in batches — signing is slow, so it never runs on an
 * event loop, and under load events linger up to 50 ms so that one signature covers whatever queued
 * up meanwhile. Reads go through the same thread (sealing what waits first), so a read sees every
 * event queued before it.
 */
public final class MemoryAudit implements AuditLog {
    public static final int DEFAULT_CAPACITY = 100_000;
    /** How long queued events wait for company before they are signed (signing costs about a millisecond). */
    private static final long LINGER_NANOS = 50_000_000;
    private static final int MAX_BATCH = 1024;

    private record Task(Runnable work) { }

    private record Deferred(Supplier<AuditEvent> event) { }

    private final AuditChain chain;
    private final KeptRecords records;
    private final List<AuditEvent> sealing = new ArrayList<>();
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** One thread, gone after a few idle seconds (a test run makes many ledgers). */
    private final ThreadPoolExecutor thread = new ThreadPoolExecutor(1, 1, 5, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
        Thread t = new Thread(r, "spendguard-audit");
        t.setDaemon(true);
        return t;
    });
    private AuditChain.Head head = AuditChain.GENESIS;
    private long lastSeal = System.nanoTime() - LINGER_NANOS;

    public MemoryAudit(AuditChain chain, int capacity) {
        this.chain = chain;
        this.records = new KeptRecords(capacity);
        thread.allowCoreThreadTimeOut(true);
    }

    /** Queues an event to seal; callers hold their ledger's lock so the order is the ledger's. */
    public void enqueue(AuditEvent event) {
        queue.add(event);
        schedule();
    }

    /**
     * Queues an event built on the audit thread, in this place of the order: for an event built from
     * immutable values only (a decision from its request and hold), so that building it neither holds
     * the ledger's lock longer nor runs on an event loop.
     */
    public void enqueue(Supplier<AuditEvent> event) {
        queue.add(new Deferred(event));
        schedule();
    }

    /** Queued, not yet sealed: there is nothing durable to wait for, and a read sees it (reads queue behind it). */
    @Override
    public Future<Void> append(AuditEvent event) {
        enqueue(event);
        return Future.succeededFuture();
    }

    @Override
    public Future<List<AuditRecord>> read(Query q) {
        return onThread(() -> records.read(q.afterSeq(), q.budgetId(), q.since(), q.limit()));
    }

    @Override
    public Future<AuditChain.Head> start() {
        return onThread(records::start);
    }

    @Override
    public AuditChain chain() {
        return chain;
    }

    /** Runs {@code work} on the audit thread after everything queued so far is sealed; answers on the caller's context. */
    private <T> Future<T> onThread(Supplier<T> work) {
        Context context = Vertx.currentContext();
        Promise<T> promise = Promise.promise();
        queue.add(new Task(() -> {
            T result = work.get();
            if (context != null) {
                context.runOnContext(v -> promise.complete(result));
            } else {
                promise.complete(result);
            }
        }));
        schedule();
        return promise.future();
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            thread.execute(this::drain);
        }
    }

    private void drain() {
        while (true) {
            for (Object item; (item = queue.poll()) != null; ) {
                if (item instanceof AuditEvent e) {
                    sealing.add(e);
                } else if (item instanceof Deferred d) {
                    sealing.add(d.event().get());
                } else {
                    sealQueued();
                    ((Task) item).work().run();
                }
            }
            long wait = LINGER_NANOS - (System.nanoTime() - lastSeal);
            if (!sealing.isEmpty() && wait > 0 && sealing.size() < MAX_BATCH) {
                // gather what arrives meanwhile: at most one signature per LINGER_NANOS under load
                LockSupport.parkNanos(wait);
                continue;
            }
            sealQueued();
            scheduled.set(false);
            if (queue.isEmpty() || !scheduled.compareAndSet(false, true)) {
                return;
            }
        }
    }

    private void sealQueued() {
        if (sealing.isEmpty()) {
            return;
        }
        lastSeal = System.nanoTime();
        Instant at = chain.now();
        List<AuditRecord> sealed = chain.seal(head, at, sealing);
        AuditRecord last = sealed.get(sealed.size() - 1);
        KeptRecords.Seal seal = new KeptRecords.Seal(last.signedSeq(), last.signature(), at);
        for (int i = 0; i < sealed.size(); i++) {
            records.add(sealed.get(i), sealing.get(i).budgetId(), seal);
        }
        head = new AuditChain.Head(last.seq(), last.hash());
        sealing.clear();
    }
}
