package io.spendguard.proxy;

/** {@link ContractsProxyTest} with the contracts loaded and evaluated by our sidecar; the proxy only applies what it answers. */
class ContractsProxySidecarTest extends ContractsProxyTest {
    @Override
    protected boolean sidecar() {
        return true;
    }
}
