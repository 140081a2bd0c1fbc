package io.spendguard.proxy.engine;

import io.spendguard.proxy.engine.audit.AuditChain;
import io.spendguard.proxy.engine.audit.AuditEvent;
import io.spendguard.proxy.engine.audit.AuditLog;
import io.spendguard.proxy.engine.audit.AuditRecord;
import io.vertx.core.Future;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The SQLite ledger's audit chain, in the ledger file's {@code audit} table. The writer thread
 * appends each transaction's records just before it commits, after the chain's head as stored in
 * that same transaction (the write lock is held, so processes sharing the file extend one chain).
 */
final class SqliteAudit implements AuditLog, SqliteThread.AuditWriter {
    static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS audit (
              seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, type TEXT NOT NULL, budget_id TEXT,
              body TEXT NOT NULL, hash TEXT NOT NULL, signed_seq INTEGER NOT NULL, signature TEXT NOT NULL)""";
    static final String INDEX = "CREATE INDEX IF NOT EXISTS audit_budget ON audit (budget_id, seq)";

    private final AuditChain chain;
    private final SqliteThread writer;
    private final SqliteThread reader;

    SqliteAudit(AuditChain chain, SqliteThread writer, SqliteThread reader) {
        this.chain = chain;
        this.writer = writer;
        this.reader = reader;
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
        List<AuditRecord> records = chain.seal(head, events);
        long time = records.get(0).time().toEpochMilli();
        for (int i = 0; i < records.size(); i++) {
            AuditRecord r = records.get(i);
            insert.setLong(1, r.seq());
            insert.setLong(2, time);
            insert.setString(3, events.get(i).type());
            insert.setString(4, events.get(i).budgetId());
            insert.setString(5, r.body());
            insert.setString(6, r.hash());
            insert.setLong(7, r.signedSeq());
            insert.setString(8, r.signature());
            insert.addBatch();
        }
        insert.executeBatch();
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
