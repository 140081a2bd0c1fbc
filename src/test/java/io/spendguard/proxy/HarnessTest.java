package io.spendguard.proxy;

import org.junit.jupiter.api.AfterEach;

/**
 * Base for tests that start their own {@link ProxyHarness} as {@code h}; closes it after each test.
 * A subclass that answers {@link #sidecar()} true runs the same scenarios with the budgets behind our
 * sidecar over a Unix socket ({@code gate.mode: sidecar}) instead of the embedded engine.
 */
abstract class HarnessTest {
    protected ProxyHarness h;

    protected boolean sidecar() {
        return false;
    }

    protected ProxyHarness start(String yaml) throws Exception {
        return sidecar() ? ProxyHarness.startWithSidecar(yaml) : ProxyHarness.start(yaml);
    }

    @AfterEach
    void closeHarness() throws Exception {
        if (h != null) {
            h.close();
        }
    }
}
