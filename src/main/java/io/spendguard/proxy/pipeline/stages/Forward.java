package io.spendguard.proxy.pipeline.stages;

import io.spendguard.proxy.auth.Credentials;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.forward.Headers;
import io.spendguard.proxy.forward.Upstream;
import io.spendguard.proxy.gate.Gate;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.pipeline.Exchange;
import io.spendguard.proxy.pipeline.Stage;
import io.spendguard.proxy.provider.Rewrites;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

/**
 * Sends an admitted call. The body goes as the client sent it, except for two named rewrites: an
 * output cap at the reservation when the client set none ({@code estimation.cap_output_to_reservation}),
 * and, on a stream, the request for a final usage event. The headers are the client's minus hop-by-hop
 * and the proxy's own, with the provider credential the auth mode calls for. A call whose client left
 * meanwhile is not sent (its hold is released). The call leaves at once after its admission: its hold
 * counted as forwarded from the grant ({@link Gate#decide}), so nothing is written before it goes.
 */
public final class Forward implements Stage {
    private final ProxyConfig config;
    private final Upstream upstream;
    private final Credentials credentials;
    private final ProxyMetrics metrics;

    public Forward(ProxyConfig config, Upstream upstream, Credentials credentials, ProxyMetrics metrics) {
        this.config = config;
        this.upstream = upstream;
        this.credentials = credentials;
        this.metrics = metrics;
    }

    @Override
    public Future<Void> apply(Exchange x) {
        MultiMap headers = Headers.upstream(x.headers());
        credentials.authorize(headers, x.shape().provider(), x.key());
        String type = x.headers().get("content-type");
        headers.set("content-type", type == null ? "application/json" : type);
        Rewrites.Rewritten capped = capped(x);
        Buffer client = capped == null ? x.body() : capped.body();
        Buffer body = x.spec().stream() ? withStreamUsage(x, client, capped == null ? x.json() : capped.json()) : client;
        boolean usageInjected = body != client;
        x.forwarded();
        x.call(upstream.call(config.provider(x.shape().provider()), HttpMethod.POST, x.shape().path(), x.query(), headers, body),
                usageInjected);
        return Future.succeededFuture();
    }

    /** The client's body (or the DEGRADE's) capped at the reservation's output, when it set no cap and that applies; else null. */
    private Rewrites.Rewritten capped(Exchange x) {
        if (config.estimation().capOutputToReservation() && x.spec().maxOutputTokens() == null && x.spec().billsOutput()) {
            return Rewrites.capOutput(x.shape(), x.body(), x.json(), x.estimate().outputCeiling() / Math.max(1, x.spec().choices()));
        }
        return null;
    }

    /** A stream's body asking for the final usage event, or {@code body} itself when it already does. */
    private Buffer withStreamUsage(Exchange x, Buffer body, JsonObject json) {
        Buffer rewritten = x.shape().withStreamUsage(body, json);
        if (rewritten == null) {
            return body;
        }
        metrics.usageInjected();
        return rewritten;
    }
}
