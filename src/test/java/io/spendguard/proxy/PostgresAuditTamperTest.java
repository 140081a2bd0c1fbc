package io.spendguard.proxy;

import io.spendguard.proxy.audit.AuditRecord;
import io.spendguard.proxy.ledger.postgres.TestPostgres;
import org.junit.jupiter.api.AfterEach;

/** The audit tamper matrix against the PostgreSQL ledger (a schema of its own on the test server). */
class PostgresAuditTamperTest extends AuditTamperContract {
    private TestPostgres db;

    @Override
    String ledgerYaml() throws Exception {
        db = TestPostgres.freshSchema();
        return "ledger: { kind: postgres, url: \"" + db.url() + "\" }";
    }

    @Override
    void sql(String statement) throws Exception {
        db.execute(statement);
    }

    @Override
    void stripSignatures(long fromSeq) throws Exception {
        sql("UPDATE audit SET signature = NULL, signed_seq = NULL WHERE seq >= " + fromSeq);
    }

    @Override
    void storeSigned(AuditRecord r) throws Exception {
        sql("INSERT INTO audit (seq, time, type, budget_id, body, hash, signed_seq, signature) VALUES (" + columns(r) + ", "
                + r.signedSeq() + ", '" + r.signature() + "')");
    }

    @AfterEach
    void dropSchema() throws Exception {
        if (db != null) {
            db.close();
        }
    }
}
