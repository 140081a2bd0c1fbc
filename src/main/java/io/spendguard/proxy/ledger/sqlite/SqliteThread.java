package io.spendguard.proxy.ledger.sqlite;

import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.ledger.LedgerException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Group commit over one SQLite connection on one worker thread (never an event loop). Operations
 * queue up; the thread takes whatever is waiting (up to {@value #MAX_BATCH}), runs it in one
 * transaction and commits once, so one fsync covers every change in the batch, and only then
 * completes each caller's future on the caller's context. A batch that fails is re-run one
 * operation per transaction, so one bad operation cannot fail its neighbours. The audit events the
 * operations of a transaction record ({@link #audit}) are written by its {@link AuditWriter} just
 * before the commit, in that transaction; a refused operation's events are dropped with it.
 */
final class SqliteThread {
    private static final Logger LOG = Logger.getLogger(SqliteThread.class.getName());
    static final int MAX_BATCH = 512;

    /** Work against the connection. A {@link LedgerException} must be thrown before anything is written. */
    interface Op<T> {
        T run(SqliteThread db) throws SQLException;
    }

    private record Queued<T>(Op<T> op, Promise<T> promise, Context context) { }

    /** Writes a transaction's audit events into it, just before it commits; told when that commit is done. */
    interface AuditWriter {
        void write(SqliteThread db, List<AuditEvent> events) throws SQLException;

        /** The transaction whose events were written last has committed. */
        void committed();
    }

    private final Vertx vertx;
    private final Connection connection;
    private final boolean writes;
    private final ExecutorService thread;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private final ConcurrentLinkedQueue<Queued<?>> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final List<AuditEvent> opEvents = new ArrayList<>();
    private final List<AuditEvent> txEvents = new ArrayList<>();
    private AuditWriter auditWriter;
    private volatile boolean closed;

    /**
     * {@code connection} must be in auto-commit mode: a thread that {@code writes} wraps each batch in
     * {@code BEGIN IMMEDIATE … COMMIT} itself (so no lock is held between batches); a reading thread
     * runs each statement on its own snapshot.
     */
    SqliteThread(Vertx vertx, Connection connection, String name, boolean writes) {
        this.vertx = vertx;
        this.connection = connection;
        this.writes = writes;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Queues {@code op}; the future completes once the transaction that ran it is committed. */
    <T> Future<T> submit(Op<T> op) {
        Context context = vertx.getOrCreateContext();
        Promise<T> promise = Promise.promise();
        if (closed) {
            return Future.failedFuture(new IllegalStateException("the ledger is closed"));
        }
        queue.add(new Queued<>(op, promise, context));
        if (scheduled.compareAndSet(false, true)) {
            thread.execute(this::drain);
        }
        return promise.future();
    }

    /** Sets who writes the audit events of each transaction (before the first operation is submitted). */
    void auditWith(AuditWriter writer) {
        this.auditWriter = writer;
    }

    /** Records {@code event} as part of the running operation's change (writer thread only). */
    void audit(AuditEvent event) {
        opEvents.add(event);
    }

    /** Runs one operation; its audit events join the transaction's only if it succeeds. */
    private Object runOp(Queued<?> q) throws SQLException {
        opEvents.clear();
        Object result = q.op().run(this);
        txEvents.addAll(opEvents);
        return result;
    }

    /** A prepared statement for {@code sql}, kept for reuse (writer thread only). */
    PreparedStatement statement(String sql) throws SQLException {
        PreparedStatement ps = statements.get(sql);
        if (ps == null) {
            ps = connection.prepareStatement(sql);
            statements.put(sql, ps);
        }
        return ps;
    }

    private void drain() {
        while (true) {
            List<Queued<?>> batch = new ArrayList<>();
            for (Queued<?> q; batch.size() < MAX_BATCH && (q = queue.poll()) != null; ) {
                batch.add(q);
            }
            if (batch.isEmpty()) {
                scheduled.set(false);
                // An operation queued after the poll and before the flag cleared must not wait.
                if (queue.isEmpty() || !scheduled.compareAndSet(false, true)) {
                    return;
                }
                continue;
            }
            try {
                runBatch(batch);
            } catch (SQLException e) {
                LOG.log(Level.WARNING, "ledger: batch of " + batch.size() + " failed (" + e.getMessage() + "), retrying one by one");
                rollbackQuietly();
                for (Queued<?> q : batch) {
                    runAlone(q);
                }
            }
        }
    }

    private void begin() throws SQLException {
        txEvents.clear();
        if (writes) {
            statement("BEGIN IMMEDIATE").execute();
        }
    }

    private void commit() throws SQLException {
        boolean audited = !txEvents.isEmpty();
        if (audited) {
            auditWriter.write(this, txEvents);
            txEvents.clear();
        }
        if (writes) {
            statement("COMMIT").execute();
        }
        if (audited) {
            auditWriter.committed();
        }
    }

    private void runBatch(List<Queued<?>> batch) throws SQLException {
        begin();
        Object[] results = new Object[batch.size()];
        RuntimeException[] refusals = new RuntimeException[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            try {
                results[i] = runOp(batch.get(i));
            } catch (LedgerException | IllegalArgumentException | IllegalStateException e) {
                refusals[i] = e;
            }
        }
        commit();
        for (int i = 0; i < batch.size(); i++) {
            complete(batch.get(i), results[i], refusals[i]);
        }
    }

    private void runAlone(Queued<?> q) {
        try {
            begin();
            Object result = runOp(q);
            commit();
            complete(q, result, null);
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly();
            complete(q, null, e instanceof RuntimeException re ? re : new IllegalStateException("ledger: " + e.getMessage(), e));
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> void complete(Queued<T> q, Object result, RuntimeException failure) {
        q.context().runOnContext(v -> {
            if (failure != null) {
                q.promise().fail(failure);
            } else {
                q.promise().complete((T) result);
            }
        });
    }

    private void rollbackQuietly() {
        if (!writes) {
            return;
        }
        try {
            statement("ROLLBACK").execute();
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "ledger: rollback failed: " + e.getMessage());
        }
    }

    /** Finishes what is queued, then closes the connection. */
    Future<Void> close() {
        Promise<Void> done = Promise.promise();
        closed = true;
        thread.execute(() -> {
            try {
                for (PreparedStatement ps : statements.values()) {
                    ps.close();
                }
                connection.close();
                done.complete();
            } catch (SQLException e) {
                done.fail(e);
            }
        });
        thread.shutdown();
        return done.future();
    }
}
