package io.spendguard.proxy;

/** {@link FailureMatrixTest} with the budgets behind our sidecar over a Unix socket ({@code gate.mode: sidecar}). */
class FailureMatrixSidecarTest extends FailureMatrixTest {
    @Override
    protected boolean sidecar() {
        return true;
    }
}
