package io.spendguard.proxy.pipeline.stages;

import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.Estimator;
import io.spendguard.proxy.gate.Gate;
import io.spendguard.proxy.pipeline.Exchange;
import io.spendguard.proxy.provider.Rewrites;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Applies a DEGRADE decision's mutation to the request ({@link Rewrites#degrade}) and re-estimates it.
 * A DEGRADE that already holds its claim (the sidecar's) has its hold released when the change
 * cannot be made; a proposal (nothing held yet) is decided again by {@link Decide} for the changed call.
 */
public final class Degrade {
    private final Vertx vertx;
    private final Gate gate;
    private final Estimator estimator;

    public Degrade(Vertx vertx, Gate gate, Estimator estimator) {
        this.vertx = vertx;
        this.gate = gate;
        this.estimator = estimator;
    }

    Future<Void> apply(Exchange x, Decision d) {
        return OffLoop.run(vertx, x.body(), () -> {
            JsonObject json = Rewrites.degrade(x.shape(), x.json(), d.mutation());
            CallSpec spec = x.shape().parse(json);
            x.rewritten(json, spec, estimator.estimate(spec));
        }).recover(e -> {
            if (!d.isProposal()) {
                gate.release(d, "unusable_degrade");
            }
            return Future.failedFuture(e);
        });
    }
}
