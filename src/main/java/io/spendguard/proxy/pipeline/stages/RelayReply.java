package io.spendguard.proxy.pipeline.stages;

import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.ledger.IdempotencyStore.Reply;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.forward.Relay;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.pipeline.Exchange;
import io.spendguard.proxy.pipeline.Idempotency;
import io.spendguard.proxy.pipeline.Stage;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;

/**
 * Relays the provider's reply to the client ({@link Relay}), with the decision's headers; the relay
 * settles the call through the exchange's settlement the moment the reply ends, however it ends. A
 * client that leaves stops the relay through the exchange. A 2xx reply of a call with an idempotency
 * key (the client's, or one derived from a run's retry) is stored for replay: a JSON reply before the
 * client sees it, an SSE stream once the client has had all of it.
 */
public final class RelayReply implements Stage {
    private final TokenCounter tokens;
    private final Idempotency idempotency;
    private final ProxyMetrics metrics;

    public RelayReply(TokenCounter tokens, Idempotency idempotency, ProxyMetrics metrics) {
        this.tokens = tokens;
        this.idempotency = idempotency;
        this.metrics = metrics;
    }

    @Override
    public Future<Void> apply(Exchange x) {
        String encoding = x.estimate().price().encoding();
        boolean dropUsage = x.usageInjected();
        Relay relay = new Relay(x.client().reply(), x.call(), x.settlement(), x.shape(),
                () -> x.shape().scanner(tokens, encoding, dropUsage), decisionHeaders(x.decision()), metrics,
                x.idempotencyKey() == null ? null : reply -> keepForReplay(x, reply));
        x.onClientGone(relay::clientGone);
        return relay.run().map(reply -> {
            x.outcome(reply.outcome());
            return null;
        });
    }

    private static MultiMap decisionHeaders(Decision d) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        if (d != null) {
            headers.set("X-SpendGuard-Decision-Id", d.decisionId())
                    .set("X-SpendGuard-Reserved-Usd-Micros", Long.toString(d.reservedMicros()));
            if (d.mutation() != null) {
                headers.set("X-SpendGuard-Degraded", d.mutation().describe());
            }
        }
        return headers;
    }

    /** Stores a 2xx reply for idempotent replay (the key then stays claimed). */
    private Future<Void> keepForReplay(Exchange x, Relay.Reply reply) {
        if (reply.status() / 100 != 2) {
            return Future.succeededFuture();
        }
        x.replayKept();
        return idempotency.complete(x.idempotencyKey(), x.attempt(), new Reply(reply.status(), reply.headers(), reply.body()));
    }
}
