package io.spendguard.proxy;

/** {@link AdminValidationTest} against the admin API of the sidecar process, which owns the budgets in that shape. */
class AdminValidationSidecarTest extends AdminValidationTest {
    @Override
    protected boolean sidecar() {
        return true;
    }
}
