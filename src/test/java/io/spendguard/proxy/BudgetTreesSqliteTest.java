package io.spendguard.proxy;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The budget-tree scenarios through the proxy on the SQLite ledger. */
class BudgetTreesSqliteTest extends BudgetTreesTest {
    @TempDir
    Path dir;

    @Override
    protected String ledger() {
        return "{ kind: sqlite, path: \"" + dir.resolve("ledger.db") + "\" }";
    }
}
