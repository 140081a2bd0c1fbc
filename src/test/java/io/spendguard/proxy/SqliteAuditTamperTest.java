package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.audit.AuditRecord;
import io.spendguard.proxy.audit.AuditVerifier;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The audit tamper matrix against the SQLite ledger file, plus the table its signatures live in. */
class SqliteAuditTamperTest extends AuditTamperContract {
    @Override
    String ledgerYaml() {
        return "ledger: { kind: sqlite, path: " + dir.resolve("ledger.db") + " }";
    }

    @Override
    void sql(String statement) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("ledger.db")); Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }

    @Override
    void stripSignatures(long fromSeq) throws Exception {
        // a signature at or after a record is the one that covers it
        sql("DELETE FROM audit_signatures WHERE signed_seq >= " + fromSeq);
    }

    @Override
    void storeSigned(AuditRecord r) throws Exception {
        sql("INSERT INTO audit (seq, time, type, budget_id, body, hash) VALUES (" + columns(r) + ")");
        if (r.seq() == r.signedSeq()) {
            sql("INSERT INTO audit_signatures (signed_seq, signature) VALUES (" + r.seq() + ", '" + r.signature() + "')");
        }
    }

    private void assertNotVerified(String why) throws Exception {
        AuditVerifier.Result r = ledger.audit().verify().await(30, TimeUnit.SECONDS);
        assertThat(r.ok()).as(r.describe()).isFalse();
        assertThat(r.reason()).contains(why);
    }

    @Test
    void aSignatureMovedToAnotherGroupIsFound() throws Exception {
        sql("UPDATE audit_signatures SET signature = (SELECT signature FROM audit_signatures ORDER BY signed_seq LIMIT 1)"
                + " WHERE signed_seq = (SELECT max(signed_seq) FROM audit_signatures)");
        assertNotVerified("does not verify");
    }

    @Test
    void aForgedSignatureForRecordsAlreadyCoveredIsFound() throws Exception {
        sql("INSERT OR REPLACE INTO audit_signatures (signed_seq, signature) VALUES (3, '" + "A".repeat(86) + "==')");
        assertNotVerified("the signature over record 3 does not verify");
    }

    @Test
    void eachRecordIsWrittenOnceAndSignaturesAreRowsOfTheirOwn() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("ledger.db")); Statement st = c.createStatement()) {
            var columns = st.executeQuery("SELECT group_concat(name) FROM pragma_table_info('audit')");
            assertThat(columns.getString(1)).isEqualTo("seq,time,type,budget_id,body,hash");
            var signed = st.executeQuery("SELECT max(signed_seq) FROM audit_signatures");
            assertThat(signed.getLong(1)).as("the last signature covers the head").isEqualTo(11);
        }
    }
}
