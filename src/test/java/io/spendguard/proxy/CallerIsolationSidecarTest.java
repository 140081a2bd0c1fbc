package io.spendguard.proxy;

/** {@link CallerIsolationTest} with the budgets behind our sidecar: caller scopes hold over the protocol too. */
class CallerIsolationSidecarTest extends CallerIsolationTest {
    @Override
    protected boolean sidecar() {
        return true;
    }
}
