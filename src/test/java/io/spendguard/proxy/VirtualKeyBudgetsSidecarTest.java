package io.spendguard.proxy;

/** {@link VirtualKeyBudgetsTest} with the budgets behind our sidecar: keys live in the proxy, budgets in the sidecar. */
class VirtualKeyBudgetsSidecarTest extends VirtualKeyBudgetsTest {
    @Override
    protected boolean sidecar() {
        return true;
    }
}
