package io.spendguard.proxy.pipeline;

import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.pipeline.stages.Deduplicate;
import io.spendguard.proxy.pipeline.stages.Settle;
import io.vertx.core.Future;
import java.util.function.Consumer;

/**
 * The life of a gated call, in order. Each stage is one class in {@code stages/}; a new concern is a
 * new stage and one line here.
 *
 * <ol>
 *   <li>{@code headCheck} — id headers, credential, content encoding: from the head, before any body byte</li>
 *   <li>{@code read} — the body, within the limits</li>
 *   <li>{@code parse} — strict JSON → call spec, budget, estimate, request fingerprint (PARSED)</li>
 *   <li>{@code deduplicate} — the idempotency key: go on, or answer with the stored reply (REPLAYED)</li>
 *   <li>{@code runScope} — the agent run the call belongs to (its limits are the gate's, kept in the ledger)</li>
 *   <li>{@code decide} — the gate: decide, degrade, admit (ADMITTED, claim held) or refuse (402/409/503)</li>
 *   <li>{@code forward} — record that it leaves, send it (FORWARDED)</li>
 *   <li>{@code relay} — the reply back to the client; the relay settles the call as the reply ends (SETTLED)</li>
 *   <li>{@code settle} — wait for the settlement to land</li>
 * </ol>
 *
 * <p>One error path: a failure in any stage settles a hold it left ({@link Settle#unsettled}) and is
 * answered in the provider's error shape. One step always runs: the request metric when the answer is
 * out, the access-log line once the settlement has landed.
 */
public final class Pipeline {
    private final Stage headCheck;
    private final Stage read;
    private final Stage parse;
    private final Deduplicate deduplicate;
    private final Stage runScope;
    private final Stage decide;
    private final Stage forward;
    private final Stage relay;
    private final Settle settle;
    private final ProxyMetrics metrics;
    private final Consumer<Exchange> accessLog;

    /** The stages in the order they run. */
    public record Stages(Stage headCheck, Stage read, Stage parse, Deduplicate deduplicate, Stage runScope, Stage decide,
                         Stage forward, Stage relay, Settle settle) { }

    public Pipeline(Stages stages, ProxyMetrics metrics, Consumer<Exchange> accessLog) {
        this.headCheck = stages.headCheck();
        this.read = stages.read();
        this.parse = stages.parse();
        this.deduplicate = stages.deduplicate();
        this.runScope = stages.runScope();
        this.decide = stages.decide();
        this.forward = stages.forward();
        this.relay = stages.relay();
        this.settle = stages.settle();
        this.metrics = metrics;
        this.accessLog = accessLog;
    }

    /** Runs one call; completes when its answer is out and its settlement has landed, never with a failure. */
    public Future<Void> run(Exchange x) {
        return headCheck.apply(x)
                .compose(v -> read.apply(x))
                .compose(v -> parse.apply(x))
                .compose(v -> deduplicate.apply(x))
                .compose(v -> unlessReplayed(x, runScope))
                .compose(v -> unlessReplayed(x, decide))
                .compose(v -> unlessReplayed(x, forward))
                .compose(v -> unlessReplayed(x, relay))
                .andThen(ar -> deduplicate.release(x))
                .recover(e -> failed(x, e))
                .andThen(ar -> metrics.request(x.shape().route(), x.shape().provider().label(), x.outcome(),
                        System.nanoTime() - x.startedNanos()))
                .compose(v -> settle.apply(x))
                .andThen(ar -> accessLog.accept(x));
    }

    private static Future<Void> unlessReplayed(Exchange x, Stage stage) {
        return x.state() == Exchange.State.REPLAYED ? Future.succeededFuture() : stage.apply(x);
    }

    /** The one error path: a hold left behind is settled, then the failure answered and counted by its label. */
    private Future<Void> failed(Exchange x, Throwable e) {
        settle.unsettled(x, e);
        x.outcome(x.client().refuse(e));
        x.ended(e instanceof ProxyException pe && pe.error().status() < 500);
        return Future.succeededFuture();
    }
}
