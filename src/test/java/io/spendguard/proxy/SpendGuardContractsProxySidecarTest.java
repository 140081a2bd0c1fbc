package io.spendguard.proxy;

/** {@link SpendGuardContractsProxyTest} with the contracts and their budgets in our sidecar; the proxy only applies what it answers. */
class SpendGuardContractsProxySidecarTest extends SpendGuardContractsProxyTest {
    @Override
    protected boolean sidecar() {
        return true;
    }
}
