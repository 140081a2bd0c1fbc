package io.spendguard.proxy;

/** {@link StreamingTest} with the budgets behind our sidecar over a Unix socket ({@code gate.mode: sidecar}). */
class StreamingSidecarTest extends StreamingTest {
    @Override
    protected boolean sidecar() {
        return true;
    }
}
