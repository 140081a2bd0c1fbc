package io.spendguard.proxy;

/** {@link ChatCompletionsTest} with the budgets behind our sidecar over a Unix socket ({@code gate.mode: sidecar}). */
class ChatCompletionsSidecarTest extends ChatCompletionsTest {
    @Override
    protected boolean sidecar() {
        return true;
    }
}
