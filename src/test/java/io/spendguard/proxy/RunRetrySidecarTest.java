package io.spendguard.proxy;

/** {@link RunRetryTest} with the budgets behind our sidecar: a run's retries collapse before the gate is asked. */
class RunRetrySidecarTest extends RunRetryTest {
    @Override
    protected boolean sidecar() {
        return true;
    }
}
