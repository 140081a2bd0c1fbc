package io.spendguard.proxy;

import org.junit.jupiter.api.AfterEach;

/** Base for tests that start their own {@link ProxyHarness} as {@code h}; closes it after each test. */
abstract class HarnessTest {
    protected ProxyHarness h;

    @AfterEach
    void closeHarness() throws Exception {
        if (h != null) {
            h.close();
        }
    }
}
