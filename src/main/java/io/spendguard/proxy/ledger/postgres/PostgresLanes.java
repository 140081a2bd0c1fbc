package io.spendguard.proxy.ledger.postgres;

import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.ledger.LedgerException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Group commit for the PostgreSQL ledger, in lanes. Operations queue in the lane their caller names
 * (the ledger uses the root of a budget's tree, so every call on one tree shares a lane); the lane
 * takes whatever is waiting (up to {@value #MAX_BATCH}) and runs it in one transaction that first
 * locks every budget row the batch needs ({@code lock}, one {@code SELECT … ORDER BY id FOR UPDATE}
 * over what each operation declared), sends the batch's statements pipelined, and commits once: one
 * WAL flush covers the batch, and a hot row — a tree's root — is locked once per batch rather than
 * once per call (with {@code synchronous_commit} on, a row lock is held until the commit is flushed).
 * Each caller's future completes only after that commit.
 *
 * <p>Lock order, the same in every transaction of every process: the budget rows, all at once in
 * order of id; then run rows; then the audit head. Budget rows are never locked one by one, so
 * transactions on different branches of one tree, in one process or many, queue on the rows they
 * share instead of deadlocking. When the rows turn out not to be the ones needed (a parent changed
 * between reading the tree and locking it) the lock step fails with {@link Relock} and the batch is
 * run again in a fresh transaction, with nothing written. Runs are the one row two lanes'
 * transactions can share outside that order; should batches meet on two runs in opposite order,
 * PostgreSQL breaks the deadlock by failing one, which is then re-run as below. A batch that fails is
 * re-run one operation per transaction, so one bad operation cannot fail its neighbours. The audit
 * events the operations of a transaction record are written by its {@link AuditWriter} after them,
 * in that transaction; a refused operation's events are dropped.
 *
 * @param <N> what an operation needs locked
 * @param <L> what {@code lock} locked and read for a batch
 */
final class PostgresLanes<N, L> {
    private static final Logger LOG = Logger.getLogger(PostgresLanes.class.getName());
    static final int MAX_BATCH = 256;
    /** How many times a batch is locked again when its rows moved under it before it runs one operation at a time. */
    static final int MAX_RELOCKS = 8;

    /** The lock step found the rows it locked are not all the batch needs; nothing was written. Stackless. */
    static final class Relock extends RuntimeException {
        Relock(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Work inside a lane's transaction, recording its audit events through {@code audit}. A
     * {@link LedgerException} must fail it before anything is written.
     */
    interface Op<L, T> {
        Future<T> run(SqlConnection conn, L locked, Consumer<AuditEvent> audit);
    }

    /** Writes a transaction's audit events into it, before it commits; told the head it wrote once that commit is done. */
    interface AuditWriter {
        Future<AuditChain.Head> write(SqlConnection conn, List<AuditEvent> events);

        void committed(AuditChain.Head head);
    }

    private record Queued<N, L, T>(N need, Op<L, T> op, Promise<T> promise, Context context) { }

    /** An operation's expected refusal, kept apart from failures that abort the transaction. */
    private record Refusal(RuntimeException error) { }

    private final class Lane {
        final String key;
        final ArrayDeque<Queued<N, L, ?>> queue = new ArrayDeque<>();

        Lane(String key) {
            this.key = key;
        }
    }

    private final Vertx vertx;
    private final Pool pool;
    private final BiFunction<SqlConnection, List<N>, Future<L>> lock;
    private final AuditWriter audit;
    private final Map<String, Lane> running = new HashMap<>();
    private boolean closed;
    private Promise<Void> idle;

    PostgresLanes(Vertx vertx, Pool pool, BiFunction<SqlConnection, List<N>, Future<L>> lock, AuditWriter audit) {
        this.vertx = vertx;
        this.pool = pool;
        this.lock = lock;
        this.audit = audit;
    }

    /**
     * Queues {@code op}, which needs {@code need} locked, in the lane of {@code key}; the future
     * completes once its transaction committed.
     */
    <T> Future<T> submit(String key, N need, Op<L, T> op) {
        Queued<N, L, T> q = new Queued<>(need, op, Promise.promise(), vertx.getOrCreateContext());
        Lane start;
        synchronized (this) {
            if (closed) {
                return Future.failedFuture(new IllegalStateException("the ledger is closed"));
            }
            Lane lane = running.get(key);
            if (lane != null) {
                lane.queue.add(q);
                return q.promise().future();
            }
            start = new Lane(key);
            start.queue.add(q);
            running.put(key, start);
        }
        drain(start);
        return q.promise().future();
    }

    private void drain(Lane lane) {
        List<Queued<N, L, ?>> batch = new ArrayList<>();
        synchronized (this) {
            for (Queued<N, L, ?> q; batch.size() < MAX_BATCH && (q = lane.queue.poll()) != null; ) {
                batch.add(q);
            }
            if (batch.isEmpty()) {
                running.remove(lane.key);
                if (running.isEmpty() && idle != null) {
                    idle.tryComplete();
                }
                return;
            }
        }
        run(lane.key, batch, 0).onComplete(v -> drain(lane));
    }

    /** Runs the batch in one transaction; on failure, each operation alone. Completes when every caller is answered. */
    private Future<Void> run(String key, List<Queued<N, L, ?>> batch, int relocks) {
        AuditChain.Head[] written = new AuditChain.Head[1];
        List<N> needs = new ArrayList<>(batch.size());
        for (Queued<N, L, ?> q : batch) {
            needs.add(q.need());
        }
        return pool.withTransaction(conn -> lock.apply(conn, needs).compose(locked -> {
            List<Future<Object>> results = new ArrayList<>(batch.size());
            List<List<AuditEvent>> events = new ArrayList<>(batch.size());
            for (Queued<N, L, ?> q : batch) {
                List<AuditEvent> recorded = new ArrayList<>(2);
                events.add(recorded);
                results.add(Future.<Object>succeededFuture().compose(v -> q.op().run(conn, locked, recorded::add)).map(r -> (Object) r)
                        .recover(e -> e instanceof LedgerException || e instanceof IllegalArgumentException || e instanceof IllegalStateException
                                ? Future.succeededFuture(new Refusal((RuntimeException) e)) : Future.failedFuture(e)));
            }
            return Future.join(results).compose(all -> {
                List<AuditEvent> kept = new ArrayList<>();
                for (int i = 0; i < batch.size(); i++) {
                    if (!(results.get(i).result() instanceof Refusal)) {
                        kept.addAll(events.get(i));
                    }
                }
                return kept.isEmpty() ? Future.<AuditChain.Head>succeededFuture() : audit.write(conn, kept);
            }).map(head -> {
                written[0] = head;
                return results.stream().map(Future::result).toList();
            });
        })).transform(done -> {
            if (done.succeeded()) {
                if (written[0] != null) {
                    audit.committed(written[0]);
                }
                for (int i = 0; i < batch.size(); i++) {
                    answer(batch.get(i), done.result().get(i), null);
                }
                return Future.succeededFuture();
            }
            if (done.cause() instanceof Relock && relocks < MAX_RELOCKS) {
                return run(key, batch, relocks + 1);
            }
            if (batch.size() == 1) {
                answer(batch.get(0), null, done.cause());
                return Future.succeededFuture();
            }
            LOG.warning("ledger: batch of " + batch.size() + " failed (" + done.cause().getMessage() + "), retrying one by one");
            Future<Void> alone = Future.succeededFuture();
            for (Queued<N, L, ?> q : batch) {
                alone = alone.compose(v -> run(key, List.of(q), 0));
            }
            return alone;
        });
    }

    @SuppressWarnings("unchecked")
    private static <N, L, T> void answer(Queued<N, L, T> q, Object result, Throwable failure) {
        q.context().runOnContext(v -> {
            if (failure != null) {
                q.promise().fail(failure);
            } else if (result instanceof Refusal refusal) {
                q.promise().fail(refusal.error());
            } else {
                q.promise().complete((T) result);
            }
        });
    }

    /** Refuses new operations; completes once every queued one has been answered. */
    Future<Void> close() {
        synchronized (this) {
            closed = true;
            if (running.isEmpty()) {
                return Future.succeededFuture();
            }
            idle = Promise.promise();
            return idle.future();
        }
    }
}
