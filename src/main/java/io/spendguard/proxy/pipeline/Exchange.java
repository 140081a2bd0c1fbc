package io.spendguard.proxy.pipeline;

import io.spendguard.proxy.auth.VirtualKey;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.provider.ApiShape;
import io.spendguard.proxy.settle.Settlement;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

/**
 * The state of one request, owned by the event loop that received it. Fields fill in as the
 * request moves through the {@link Pipeline}; {@link #state} says how far it got.
 */
public final class Exchange {
    /** How far a request got. */
    public enum State { RECEIVED, ESTIMATED, ADMITTED, FORWARDED, DONE }

    final HttpServerRequest request;
    final ApiShape shape;
    /** The request's query, checked and re-encoded (null: none); the path sent upstream is the shape's route. */
    final String query;
    final long startedNanos = System.nanoTime();
    State state = State.RECEIVED;
    Buffer body;
    private Buffer bodyAsRead;
    JsonObject json;
    CallSpec spec;
    Estimate estimate;
    String requestHash;
    /** The caller- and route-scoped idempotency key this call holds, and the attempt it runs under; null without a key. */
    String idempotencyKey;
    String attempt;
    /** True once the reply was stored for replay (the key then stays claimed). */
    boolean replayKept;
    /** The virtual key the call was made with; null in passthrough mode. */
    VirtualKey key;
    /** Who is calling ({@link io.spendguard.proxy.auth.Credentials#caller}): replays and approvals stay with them. */
    String caller;
    String budgetId;
    Decision decision;
    Settlement settlement;
    String outcome;
    boolean clientGone;

    public Exchange(HttpServerRequest request, ApiShape shape, String query) {
        this.request = request;
        this.shape = shape;
        this.query = query;
    }

    /** Sets the request body once it has been read. */
    public void body(Buffer body) {
        this.body = body;
        this.bodyAsRead = body;
    }

    /** The body as it was read (a DEGRADE may replace {@link #body} later); null before it was. */
    public Buffer bodyAsRead() {
        return bodyAsRead;
    }

    public HttpServerRequest request() {
        return request;
    }

    public ApiShape shape() {
        return shape;
    }

    public long startedNanos() {
        return startedNanos;
    }

    /** The metric outcome of a call that was not refused (e.g. {@code ok}, {@code provider_error}). */
    public String outcome() {
        return outcome;
    }

    public State state() {
        return state;
    }

    public Decision decision() {
        return decision;
    }

    /** The model the call asked for (after a DEGRADE, the one it was sent to); null before parsing. */
    public String model() {
        return spec == null ? null : spec.model();
    }

    public String budgetId() {
        return budgetId;
    }

    /** µUSD committed for the call (0 when released, refused or not settled yet). */
    public long committedMicros() {
        return settlement == null ? 0 : settlement.costMicros();
    }

    /** How the call was settled ({@code usage}, {@code provider_500}, …); null when nothing was forwarded. */
    public String settledAs() {
        return settlement == null ? null : settlement.how();
    }

    /** Completes when the call's settlement has landed; at once for a call that was never forwarded. */
    public Future<Void> settled() {
        return settlement == null ? Future.succeededFuture() : settlement.landed();
    }
}
