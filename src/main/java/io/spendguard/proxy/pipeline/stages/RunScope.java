package io.spendguard.proxy.pipeline.stages;

import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.pipeline.Exchange;
import io.spendguard.proxy.pipeline.Stage;
import io.vertx.core.Future;

/**
 * Puts the call in its agent run (SPEC §10), between deduplication and the gate: the run named by
 * {@code X-SpendGuard-Run-Id} (bounded by {@link CallHeaders} from the head), within the caller's
 * tenant — a virtual key of a tenant other than the default names its runs {@code <tenant>:<run id>},
 * so one tenant's agents can neither use up nor be stopped through another tenant's run of the same
 * name. The run's limits are enforced by the gate, in the ledger transaction that reserves the call:
 * run state lives with the ledger, never here.
 */
public final class RunScope implements Stage {

    @Override
    public Future<Void> apply(Exchange x) {
        String run = x.headers().get(CallHeaders.RUN_ID);
        if (run != null && !run.isBlank()) {
            String tenant = x.key() == null ? null : x.key().tenant();
            x.run(tenant == null || tenant.equals(DecisionRequest.DEFAULT_TENANT) ? run : tenant + ":" + run);
        }
        return Future.succeededFuture();
    }
}
