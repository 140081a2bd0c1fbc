package io.spendguard.proxy;

/** {@link AnthropicFailureMatrixTest} with the budgets behind our sidecar over a Unix socket ({@code gate.mode: sidecar}). */
class AnthropicFailureMatrixSidecarTest extends AnthropicFailureMatrixTest {
    @Override
    protected boolean sidecar() {
        return true;
    }
}
