package io.spendguard.proxy;

/** {@link AuditTrailTest} with the budgets, and so the audit chain, behind the sidecar over a Unix socket. */
class AuditTrailSidecarTest extends AuditTrailTest {
    @Override
    protected boolean sidecar() {
        return true;
    }
}
