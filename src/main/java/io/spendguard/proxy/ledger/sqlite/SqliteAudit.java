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
 * the {@link AuditSealer} signs them just after, through the same writer thread. A signature is a
 * row of its own in {@code audit_signatures}, over the hash of record {@code signed_seq}: through
 * the chain it covers that record and every one before it, and a record is read with the first
 * signature at or after it. So each record is written once, and signing adds one small row instead
 * of rewriting every page of records it covers.
 */
final class SqliteAudit implements AuditLog, SqliteThread.AuditWriter {
    /** The table as version 0 of the file made it (signatures on the records; {@link #SIGNATURES_APART} moves them). */
    static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS audit (
              seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, type TEXT NOT NULL, budget_id TEXT,
              body TEXT NOT NULL, hash TEXT NOT NULL, signed_seq INTEGER, signature TEXT)""";
    static final String INDEX = "CREATE INDEX IF NOT EXISTS audit_budget ON audit (budget_id, seq)";
    static final String UNSIGNED = "CREATE INDEX IF NOT EXISTS audit_unsigned ON audit (seq) WHERE signature IS NULL";
    /**
     * The migration to signatures in a table of their own: each group's signature is taken from the
     * record it signs (or, when that record is gone, from the group's others, so the verifier still
     * reports it missing), then the columns that carried it on every record are dropped.
     */
    static final List<String> SIGNATURES_APART = List.of(
            "CREATE TABLE audit_signatures (signed_seq INTEGER PRIMARY KEY, signature TEXT NOT NULL)",
            """
            INSERT INTO audit_signatures (signed_seq, signature)
              SELECT seq, signature FROM audit WHERE signature IS NOT NULL AND signed_seq = seq""",
            """
            INSERT OR IGNORE INTO audit_signatures (signed_seq, signature)
              SELECT signed_seq, signature FROM audit WHERE signature IS NOT NULL""",
            "DROP INDEX audit_unsigned",
            "ALTER TABLE audit DROP COLUMN signed_seq",
            "ALTER TABLE audit DROP COLUMN signature");

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
            PreparedStatement ps = db.statement("INSERT INTO audit_signatures (signed_seq, signature) VALUES (?, ?) ON CONFLICT DO NOTHING");
            ps.setLong(1, seq);
            ps.setString(2, signature);
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
        PreparedStatement insert = db.statement("INSERT INTO audit (seq, time, type, budget_id, body, hash) VALUES (?, ?, ?, ?, ?, ?)");
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
                    SELECT a.seq, a.body, a.hash, s.signed_seq, s.signature FROM audit a
                      LEFT JOIN audit_signatures s ON s.signed_seq = (SELECT min(signed_seq) FROM audit_signatures WHERE signed_seq >= a.seq)
                    WHERE a.seq > ? AND (? IS NULL OR a.budget_id = ?) AND a.time >= ? ORDER BY a.seq LIMIT ?""");
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
