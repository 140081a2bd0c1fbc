package io.spendguard.proxy.pipeline;

import io.spendguard.proxy.auth.VirtualKey;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.forward.Upstream;
import io.spendguard.proxy.provider.ApiShape;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One model call as it moves through the {@link Pipeline}: what the client sent, what the stages
 * worked out, and where the call stands. The state changes only through the transition methods,
 * each of which checks the state it moves from:
 *
 * <pre>
 * RECEIVED ─parsed─▶ PARSED ─admitted─▶ ADMITTED ─forwarded─▶ FORWARDED ─settling─▶ SETTLED
 *    │                  │  │                 └──────────settling (released unsent)───────▲
 *    │                  │  └─replayed─▶ REPLAYED                                          │
 *    └──────────────────┴─refused/failed─▶ REFUSED | FAILED                               │
 * any live state ─clientGone─▶ CLIENT_GONE ─settling (only if it was admitted)────────────┘
 * </pre>
 *
 * <p>A call that was admitted holds a reservation until {@link #settling} moves it to SETTLED, which
 * happens once: that is the exactly-once guarantee, whichever path (reply, provider error, timeout,
 * client gone, stream cut, an error in a stage) gets there first. A client that leaves is reported
 * once, by {@code http/}; a stage that resumes after an await finds it in the next transition, which
 * then fails with {@link ProxyError#CLIENT_CLOSED}, so nothing is forwarded for a client that is gone.
 */
public final class Exchange {
    /** Where a call stands. */
    public enum State {
        RECEIVED, PARSED, ADMITTED, FORWARDED, SETTLED, REPLAYED, REFUSED, FAILED, CLIENT_GONE;

        /** True while the call can still move on (a client leaving then stops it). */
        boolean live() {
            return this == RECEIVED || this == PARSED || this == ADMITTED || this == FORWARDED;
        }
    }

    private final Client client;
    private final ApiShape shape;
    private final String query;
    private final MultiMap headers;
    private final long startedNanos = System.nanoTime();
    private final AtomicReference<State> state = new AtomicReference<>(State.RECEIVED);
    private final Promise<Void> landed = Promise.promise();
    private volatile boolean admitted;
    private volatile boolean gone;
    private volatile Runnable onClientGone;

    private VirtualKey key;
    private String caller;
    private Buffer body;
    private Buffer bodyAsRead;
    private JsonObject json;
    private CallSpec spec;
    private Estimate estimate;
    private String budgetId;
    private String requestHash;
    private String run;
    private String idempotencyKey;
    private String attempt;
    private boolean replayKept;
    private Decision decision;
    private Settlement settlement;
    private Upstream.Call call;
    private boolean usageInjected;
    private String outcome;

    /** A call on {@code shape}'s route; {@code query} is the checked, re-encoded query (null: none). */
    public Exchange(Client client, ApiShape shape, String query, MultiMap headers) {
        this.client = client;
        this.shape = shape;
        this.query = query;
        this.headers = headers;
    }

    // ---- transitions ----

    /** RECEIVED → PARSED, with what parsing and estimating found. */
    public void parsed(JsonObject json, CallSpec spec, Estimate estimate, String budgetId, String requestHash) {
        this.json = json;
        this.spec = spec;
        this.estimate = estimate;
        this.budgetId = budgetId;
        this.requestHash = requestHash;
        move(State.RECEIVED, State.PARSED);
    }

    /**
     * PARSED → ADMITTED: the call may go on under {@code decision} (null: forwarded without a
     * reservation, {@code fail_mode: open}), settled through {@code settlement}. When the client has
     * already gone the call is still recorded as admitted, so that its hold is released, and this fails.
     */
    public void admitted(Decision decision, Settlement settlement) {
        this.decision = decision;
        this.settlement = settlement;
        this.admitted = true;
        move(State.PARSED, State.ADMITTED);
    }

    /** ADMITTED → FORWARDED: the call leaves for the provider; fails when the client has gone meanwhile. */
    public void forwarded() {
        move(State.ADMITTED, State.FORWARDED);
    }

    /** PARSED → REPLAYED: an idempotent retry answered with the stored reply. */
    public void replayed() {
        outcome = "replayed";
        move(State.PARSED, State.REPLAYED);
    }

    /** A call that ends with an error: REFUSED (a 4xx answer) or FAILED, unless it already settled or the client left. */
    public void ended(boolean refused) {
        State to = refused ? State.REFUSED : State.FAILED;
        state.getAndUpdate(s -> s == State.RECEIVED || s == State.PARSED ? to : s);
    }

    /**
     * ADMITTED, FORWARDED, or CLIENT_GONE after admission → SETTLED. True exactly once per admitted call:
     * the caller then commits or releases; every later caller must not.
     */
    public boolean settling() {
        while (true) {
            State s = state.get();
            boolean settles = s == State.ADMITTED || s == State.FORWARDED || (s == State.CLIENT_GONE && admitted);
            if (!settles) {
                return false;
            }
            if (state.compareAndSet(s, State.SETTLED)) {
                return true;
            }
        }
    }

    /**
     * The client went away (called once, by {@code http/}'s close handler). A live call moves to
     * CLIENT_GONE; whoever waits for the client ({@link #onClientGone}) is told.
     */
    public void clientGone() {
        if (gone) {
            return;
        }
        gone = true;
        state.getAndUpdate(s -> s.live() ? State.CLIENT_GONE : s);
        Runnable listener = onClientGone;
        if (listener != null) {
            listener.run();
        }
    }

    /**
     * Runs {@code listener} when the client goes away, or now if it already has. A listener added on
     * another thread at the moment the client leaves may run twice: it must be idempotent.
     */
    public void onClientGone(Runnable listener) {
        onClientGone = listener;
        if (gone) {
            listener.run();
        }
    }

    private void move(State from, State to) {
        if (state.compareAndSet(from, to)) {
            return;
        }
        State now = state.get();
        if (now == State.CLIENT_GONE) {
            throw clientClosed();
        }
        throw new IllegalStateException("call cannot move from " + now + " to " + to);
    }

    private static RuntimeException clientClosed() {
        return ProxyError.CLIENT_CLOSED.exception("The client went away before the call was sent.");
    }

    public State state() {
        return state.get();
    }

    /** True while an admitted call has not been settled: its reservation is still held. */
    public boolean holds() {
        return admitted && state.get() != State.SETTLED;
    }

    /** True once the client has gone away. */
    public boolean clientHasGone() {
        return gone;
    }

    // ---- what the stages set outside transitions ----

    /** Who is calling: the virtual key (null in passthrough mode) and the caller scope ({@link io.spendguard.proxy.auth.Credentials#caller}). */
    public void authenticated(VirtualKey key, String caller) {
        this.key = key;
        this.caller = caller;
    }

    /** Sets the request body once it has been read. */
    public void body(Buffer body) {
        this.body = body;
        this.bodyAsRead = body;
    }

    /** A DEGRADE rewrote the request: the body sent, its JSON, spec and estimate change. */
    public void rewritten(JsonObject json, CallSpec spec, Estimate estimate) {
        this.json = json;
        this.body = json.toBuffer();
        this.spec = spec;
        this.estimate = estimate;
    }

    /**
     * The call runs under the caller- and route-scoped idempotency {@code key}, as {@code attempt};
     * fails when the client went away while the key was claimed (the key is then freed like any other).
     */
    public void claimed(String key, String attempt) {
        this.idempotencyKey = key;
        this.attempt = attempt;
        if (state.get() == State.CLIENT_GONE) {
            throw clientClosed();
        }
    }

    /** The agent run the call belongs to ({@link io.spendguard.proxy.pipeline.stages.RunScope}). */
    public void run(String run) {
        this.run = run;
    }

    /** The reply was stored for replay (the key then stays claimed). */
    public void replayKept() {
        this.replayKept = true;
    }

    /**
     * The provider call under way; {@code usageInjected}: the proxy asked the stream for its final
     * usage event, which the client then does not see.
     */
    public void call(Upstream.Call call, boolean usageInjected) {
        this.call = call;
        this.usageInjected = usageInjected;
    }

    /** The metric outcome of the call ({@code ok}, {@code provider_error}, an error label, …). */
    public void outcome(String outcome) {
        this.outcome = outcome;
    }

    /** Completes the settlement's landing: the gate has answered (or there was nothing to settle). */
    void landed() {
        landed.tryComplete();
    }

    // ---- reads ----

    public Client client() {
        return client;
    }

    public ApiShape shape() {
        return shape;
    }

    public String query() {
        return query;
    }

    /** The client's request headers (read-only: what goes upstream is derived from them). */
    public MultiMap headers() {
        return headers;
    }

    public long startedNanos() {
        return startedNanos;
    }

    public VirtualKey key() {
        return key;
    }

    public String caller() {
        return caller;
    }

    /** The body to send (a DEGRADE may have rewritten it); null before it was read. */
    public Buffer body() {
        return body;
    }

    /** The body as it was read; null before it was. */
    public Buffer bodyAsRead() {
        return bodyAsRead;
    }

    public JsonObject json() {
        return json;
    }

    public CallSpec spec() {
        return spec;
    }

    public Estimate estimate() {
        return estimate;
    }

    public String requestHash() {
        return requestHash;
    }

    /** The call's agent run, scoped to its tenant; null for a call of no run. */
    public String run() {
        return run;
    }

    public String idempotencyKey() {
        return idempotencyKey;
    }

    public String attempt() {
        return attempt;
    }

    public boolean isReplayKept() {
        return replayKept;
    }

    public Settlement settlement() {
        return settlement;
    }

    public Upstream.Call call() {
        return call;
    }

    public boolean usageInjected() {
        return usageInjected;
    }

    public String outcome() {
        return outcome;
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

    /** How the call was settled ({@code usage}, {@code provider_500}, …); null when nothing was settled. */
    public String settledAs() {
        return settlement == null ? null : settlement.how();
    }

    /** Completes when the call's settlement has landed; at once for a call that was never admitted. */
    public Future<Void> settled() {
        return admitted ? landed.future() : Future.succeededFuture();
    }
}
