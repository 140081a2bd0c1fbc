package io.spendguard.proxy.ledger.postgres;

import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.audit.AuditLog;
import io.spendguard.proxy.audit.AuditRecord;
import io.spendguard.proxy.audit.AuditSealer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The PostgreSQL ledger's audit chain: the {@code audit} table and its head row
 * ({@code audit_head}). A transaction that changes the ledger appends its records last, after
 * locking the head row, so the replicas sharing the database extend one chain in commit order; the
 * head row is the only lock every transaction takes, and it is always taken last, after the budget
 * rows and run rows, so it cannot deadlock. Records are stored unsigned; the {@link AuditSealer} signs them just
 * after the commit, in a short transaction of its own, so no signing happens under that lock.
 */
final class PostgresAudit implements AuditLog, PostgresLanes.AuditWriter {
    static final List<String> SCHEMA = List.of(
            """
            CREATE TABLE IF NOT EXISTS audit (
              seq BIGINT PRIMARY KEY, time BIGINT NOT NULL, type TEXT NOT NULL, budget_id TEXT,
              body TEXT NOT NULL, hash TEXT NOT NULL, signed_seq BIGINT, signature TEXT)""",
            "CREATE INDEX IF NOT EXISTS audit_budget ON audit (budget_id, seq)",
            "CREATE INDEX IF NOT EXISTS audit_unsigned ON audit (seq) WHERE signature IS NULL",
            "CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)",
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + AuditChain.GENESIS.hash() + "') ON CONFLICT DO NOTHING");

    private final AuditChain chain;
    private final Pool pool;
    private final AuditSealer sealer;

    PostgresAudit(Vertx vertx, AuditChain chain, Pool pool) {
        this.chain = chain;
        this.pool = pool;
        this.sealer = new AuditSealer(vertx, chain, (seq, signature) -> pool
                .preparedQuery("UPDATE audit SET signed_seq = $1, signature = $2 WHERE signature IS NULL AND seq <= $1")
                .execute(Tuple.of(seq, signature)).mapEmpty());
    }

    @Override
    public void committed(AuditChain.Head head) {
        sealer.committed(head);
    }

    @Override
    public Future<Void> seal() {
        return sealer.seal();
    }

    @Override
    public Future<AuditChain.Head> write(SqlConnection conn, List<AuditEvent> events) {
        return conn.preparedQuery("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE").execute().compose(rows -> {
            Row head = rows.iterator().next();
            Instant at = chain.now();
            List<AuditRecord> records = chain.link(new AuditChain.Head(head.getLong(0), head.getString(1)), at, events);
            long time = at.toEpochMilli();
            List<Tuple> batch = new ArrayList<>(records.size());
            for (int i = 0; i < records.size(); i++) {
                AuditRecord r = records.get(i);
                batch.add(Tuple.of(r.seq(), time, events.get(i).type(), events.get(i).budgetId(), r.body(), r.hash())
                        .addLong(null).addString(null));
            }
            AuditRecord last = records.get(records.size() - 1);
            return conn.preparedQuery("""
                    INSERT INTO audit (seq, time, type, budget_id, body, hash, signed_seq, signature)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""").executeBatch(batch)
                    .compose(v -> conn.preparedQuery("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                            .execute(Tuple.of(last.seq(), last.hash())))
                    .map(v -> new AuditChain.Head(last.seq(), last.hash()));
        });
    }

    @Override
    public Future<Void> append(AuditEvent event) {
        return pool.withTransaction(conn -> write(conn, List.of(event))).map(head -> {
            sealer.committed(head);
            return null;
        });
    }

    @Override
    public Future<List<AuditRecord>> read(Query q) {
        return pool.preparedQuery("""
                SELECT seq, body, hash, signed_seq, signature FROM audit
                WHERE seq > $1 AND ($2::text IS NULL OR budget_id = $2) AND time >= $3 ORDER BY seq LIMIT $4""")
                .execute(Tuple.of(q.afterSeq(), q.budgetId(), q.since() == null ? Long.MIN_VALUE : q.since().toEpochMilli(), q.limit()))
                .map(rows -> {
                    List<AuditRecord> out = new ArrayList<>();
                    rows.forEach(r -> out.add(new AuditRecord(r.getLong(0), r.getString(1), r.getString(2),
                            r.getLong(3) == null ? 0 : r.getLong(3), r.getString(4))));
                    return out;
                });
    }

    @Override
    public AuditChain chain() {
        return chain;
    }
}
