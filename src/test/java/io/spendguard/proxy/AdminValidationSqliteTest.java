package io.spendguard.proxy;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** {@link AdminValidationTest} on the SQLite ledger, where create-if-absent is the database's own. */
class AdminValidationSqliteTest extends AdminValidationTest {
    @TempDir
    Path dir;

    @Override
    protected String config(String yaml) {
        return ProxyHarness.withLedger(yaml, "{ kind: sqlite, path: \"" + dir.resolve("ledger.db") + "\" }");
    }
}
