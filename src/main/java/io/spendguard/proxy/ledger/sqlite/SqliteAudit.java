package io.spendguard.proxy.ledger.sqlite;

import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.audit.AuditLog;
import io.spendguard.proxy.audit.AuditRecord;
import io.spendguard.proxy.audit.AuditSealer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The SQLite ledger's audit chain, in the ledger file's {@code audit} table. The writer thread
 * appends each transaction's records just before it commits, after the chain's head as stored in
 * that same transaction (the write lock is held, so processes sharing the file extend one chain);
 * the {@link AuditSealer} signs them just after, through the same writer thread.
 */
final class SqliteAudit implements AuditLog, SqliteThread.AuditWriter {
    static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS audit (
              seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, type TEXT NOT NULL, budget_id TEXT,
              body TEXT NOT NULL, hash TEXT NOT NULL, signed_seq INTEGER, signature TEXT)""";
    static final String INDEX = "CREATE INDEX IF NOT EXISTS audit_budget ON audit (budget_id, seq)";
    static final String UNSIGNED = "CREATE INDEX IF NOT EXISTS audit_unsigned ON audit (seq) WHERE signature IS NULL";

    private final AuditChain chain;
    private final SqliteThread writer;
    private final SqliteThread reader;
    private final AuditSealer sealer;
    /** The head the writer thread wrote in the transaction now committing (writer thread only). */
    private AuditChain.Head written;

    SqliteAudit(Vertx vertx, AuditChain chain, SqliteThread writer, SqliteThread reader) {
        this.chain = chain;
        this.writer = writer;
        this.reader = reader;
        this.sealer = new AuditSealer(vertx, chain, this::stamp);
    }

    @Override
    public void committed() {
        sealer.committed(written);
    }

    private Future<Void> stamp(long seq, String signature) {
        return writer.submit(db -> {
            PreparedStatement ps = db.statement("UPDATE audit SET signed_seq = ?, signature = ? WHERE signature IS NULL AND seq <= ?");
            ps.setLong(1, seq);
            ps.setString(2, signature);
            ps.setLong(3, seq);
            ps.executeUpdate();
            return null;
        });
    }

    @Override
    public Future<Void> seal() {
        return sealer.seal();
    }

    @Override
    public void write(SqliteThread db, List<AuditEvent> events) throws SQLException {
        AuditChain.Head head = AuditChain.GENESIS;
        try (ResultSet rs = db.statement("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").executeQuery()) {
            if (rs.next()) {
                head = new AuditChain.Head(rs.getLong(1), rs.getString(2));
            }
        }
        PreparedStatement insert = db.statement(
                "INSERT INTO audit (seq, time, type, budget_id, body, hash, signed_seq, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        Instant at = chain.now();
        List<AuditRecord> records = chain.link(head, at, events);
        long time = at.toEpochMilli();
        for (int i = 0; i < records.size(); i++) {
            AuditRecord r = records.get(i);
            insert.setLong(1, r.seq());
            insert.setLong(2, time);
            insert.setString(3, events.get(i).type());
            insert.setString(4, events.get(i).budgetId());
            insert.setString(5, r.body());
            insert.setString(6, r.hash());
            insert.setNull(7, java.sql.Types.INTEGER);
            insert.setNull(8, java.sql.Types.VARCHAR);
            insert.addBatch();
        }
        insert.executeBatch();
        AuditRecord last = records.get(records.size() - 1);
        written = new AuditChain.Head(last.seq(), last.hash());
    }

    @Override
    public Future<Void> append(AuditEvent event) {
        return writer.submit(db -> {
            db.audit(event);
            return null;
        });
    }

    @Override
    public Future<List<AuditRecord>> read(Query q) {
        return reader.submit(db -> {
            PreparedStatement ps = db.statement("""
                    SELECT seq, body, hash, signed_seq, signature FROM audit
                    WHERE seq > ? AND (? IS NULL OR budget_id = ?) AND time >= ? ORDER BY seq LIMIT ?""");
            ps.setLong(1, q.afterSeq());
            ps.setString(2, q.budgetId());
            ps.setString(3, q.budgetId());
            ps.setLong(4, q.since() == null ? Long.MIN_VALUE : q.since().toEpochMilli());
            ps.setInt(5, q.limit());
            List<AuditRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new AuditRecord(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getString(5)));
                }
            }
            return out;
        });
    }

    @Override
    public AuditChain chain() {
        return chain;
    }
}
