package io.spendguard.proxy;

/** {@link DegradeTest} with the budgets behind our sidecar: the DEGRADE travels as {@code mutation_patch_json}. */
class DegradeSidecarTest extends DegradeTest {
    @Override
    protected boolean sidecar() {
        return true;
    }
}
