package io.spendguard.proxy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/** The audit tamper matrix against the SQLite ledger file. */
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
}
