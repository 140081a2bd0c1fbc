package io.spendguard.proxy;

/** {@link ControlPlaneTest} against the admin API of the sidecar process, which owns the budgets in that shape. */
class ControlPlaneSidecarTest extends ControlPlaneTest {
    @Override
    protected boolean sidecar() {
        return true;
    }
}
