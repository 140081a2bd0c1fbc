package io.spendguard.proxy.sidecar.client;

import io.spendguard.proxy.gate.Gate;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.spendguard.proto.adapter.v1.LlmCallPostPayload;
import io.spendguard.proto.adapter.v1.ResumeAfterApprovalRequest;
import io.spendguard.proto.adapter.v1.SidecarAdapterGrpcClient;
import io.spendguard.proto.common.v1.UnitRef;
import io.spendguard.proxy.config.GateMode;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.config.ProxyConfig.SidecarConfig;
import io.spendguard.proxy.engine.Approval;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.ledger.Ledger.Settled;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.sidecar.Wire;
import io.spendguard.proxy.sidecar.client.SidecarSession.Session;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The {@link Gate} backed by a SpendGuard sidecar over gRPC on a Unix socket (WIRE.md): one
 * {@code RequestDecision} per call (or {@code ResumeAfterApproval} for an approved one), settlements
 * on one long-lived {@code EmitTraceEvents} stream per connection ({@link SettlementStream}), and the
 * session, reconnects and drain signal in {@link SidecarSession}.
 * <p>
 * Connections: {@link #connect} opens the first one (start-up fails without it); every event loop
 * that {@link #attach}es gets one of its own ({@link SidecarConnection}), handshaken like the first,
 * and a call made on that loop uses it from decision to acknowledged settlement, never leaving the
 * loop. A call from anywhere else uses the first connection. A reservation may settle on another
 * connection than the one that decided it: the sidecar's reservations are not per connection.
 * <p>
 * An unreachable or silent sidecar fails the
 * call so the pipeline applies the fail mode; any other failure (a non-OK status, a decision the
 * protocol does not allow) is a 503 whatever the fail mode, counted by reason. The protocol does not
 * report budgets, so {@link Settled#budget()} is null.
 */
public final class SidecarGate implements Gate {
    private static final Logger LOG = Logger.getLogger(SidecarGate.class.getName());
    /** How long a decision may take before we stop waiting for it (the pipeline answers after gate.timeout_ms). */
    private static final long CALL_DEADLINE_MS = 10_000;

    /** What a REQUIRE_APPROVAL was given for: the decision it interrupted, the exact request and who asked. */
    private record AwaitingApproval(String decisionId, String requestHash, String caller) { }

    private final Vertx vertx;
    private final SidecarConfig config;
    private final ProxyMetrics metrics;
    private final UnitRef unit;
    /** The connection {@link #connect} opened: for callers on no attached event loop. */
    private final SidecarConnection first;
    private final Map<Thread, SidecarConnection> attached = new ConcurrentHashMap<>();
    private final Cache<String, AwaitingApproval> approvals = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofHours(24)).maximumSize(100_000).build();
    private volatile boolean closed;

    /** Runs on the event loop the first connection will belong to. */
    private SidecarGate(Vertx vertx, SidecarConfig config, ProxyMetrics metrics) {
        this.vertx = vertx;
        this.config = config;
        this.metrics = metrics;
        this.unit = ProtoMapper.unit(config.unitId());
        this.first = new SidecarConnection(vertx, config, metrics);
    }

    /**
     * Connects to {@code gate.sidecar.socket} and handshakes, retrying with back-off; fails after
     * {@code gate.sidecar.handshake_timeout_ms} with a message naming the socket.
     */
    public static Future<SidecarGate> connect(Vertx vertx, ProxyConfig config, ProxyMetrics metrics) {
        if (!vertx.isNativeTransportEnabled()) {
            LOG.info("sidecar gate: native transport unavailable (" + vertx.unavailableNativeTransportCause()
                    + "); using the JDK's Unix-domain sockets");
        }
        Promise<SidecarGate> connected = Promise.promise();
        vertx.getOrCreateContext().runOnContext(v -> {
            SidecarGate gate = new SidecarGate(vertx, config.gate().sidecar(), metrics);
            gate.first.start(config.gate().sidecar().handshakeTimeoutMs())
                    .transform(ar -> ar.succeeded() ? Future.succeededFuture(gate)
                            : gate.close().transform(x -> Future.failedFuture(ar.cause())))
                    .onComplete(connected);
        });
        return connected.future();
    }

    /**
     * Opens a connection of the caller's event loop's own, handshaken within
     * {@code gate.sidecar.handshake_timeout_ms}; a loop that has one already keeps it.
     */
    @Override
    public Future<Void> attach() {
        Thread loop = Thread.currentThread();
        if (closed || attached.containsKey(loop)) {
            return Future.succeededFuture();
        }
        SidecarConnection c = new SidecarConnection(vertx, config, metrics);
        attached.put(loop, c);
        return c.start(config.handshakeTimeoutMs()).<Void>mapEmpty().recover(e -> {
            attached.remove(loop, c);
            return c.close().transform(x -> Future.failedFuture(e));
        });
    }

    /** Closes the caller's event loop's connection; its calls then use the first one. */
    @Override
    public Future<Void> detach() {
        SidecarConnection c = attached.remove(Thread.currentThread());
        return c == null ? Future.succeededFuture() : c.close();
    }

    /** The caller's event loop's connection, else the first one. */
    private SidecarConnection connection() {
        SidecarConnection c = attached.get(Thread.currentThread());
        return c != null ? c : first;
    }

    @Override
    public GateMode mode() {
        return GateMode.SIDECAR;
    }

    @Override
    public Future<Decision> decide(DecisionRequest request) {
        SidecarConnection c = connection();
        if (c.session.draining()) {
            metrics.sidecarFailure("draining");
            return Future.failedFuture(ProxyError.GATE_UNAVAILABLE.exception("The budget gate is draining; the call was not sent.")
                    .header("Retry-After", "1"));
        }
        Session s = c.session.current();
        if (s == null) {
            return failed(c, null, SidecarException.notConnected(config.socket()));
        }
        if (request.approvalId() != null) {
            return resume(request, c, s);
        }
        return c.rpc.unary(SidecarAdapterGrpcClient.RequestDecision, ProtoMapper.decisionRequest(request, unit), CALL_DEADLINE_MS)
                .map(response -> ProtoMapper.decision(request, response))
                .transform(ar -> ar.failed() ? failed(c, s, ar.cause()) : Future.succeededFuture(remember(request, ar.result())));
    }

    private Decision remember(DecisionRequest request, Decision d) {
        if (d.outcome() == Decision.Outcome.REQUIRE_APPROVAL && request.requestHash() != null) {
            approvals.asMap().putIfAbsent(d.approvalId(), new AwaitingApproval(request.decisionId(), request.requestHash(),
                    request.caller()));
        }
        return d;
    }

    /**
     * Resumes an approval. {@code ResumeAfterApproval} does not say who resumes, so the caller is
     * checked here: against the one this proxy saw ask, and against the requester tag our sidecar puts
     * in approval ids (which holds on every replica); another caller gets 403 {@code approval_forbidden}.
     */
    private Future<Decision> resume(DecisionRequest request, SidecarConnection c, Session s) {
        AwaitingApproval awaiting = approvals.getIfPresent(request.approvalId());
        boolean otherCaller = awaiting != null && awaiting.caller() != null && request.caller() != null
                && !awaiting.caller().equals(request.caller());
        if (otherCaller || Approval.mintedForAnother(request.approvalId(), request.caller())) {
            return Future.failedFuture(ProxyError.APPROVAL_FORBIDDEN.exception("Approval '" + request.approvalId()
                    + "' was asked for by another caller; only the virtual key (or provider credential) that asked may resume it."));
        }
        if (awaiting != null && request.requestHash() != null && !awaiting.requestHash().equals(request.requestHash())) {
            return Future.failedFuture(ProxyError.APPROVAL_MISMATCH.exception(
                    "Approval '" + request.approvalId() + "' was granted for a different request body."));
        }
        ResumeAfterApprovalRequest resume = ResumeAfterApprovalRequest.newBuilder()
                .setTenantId(config.tenantId())
                .setDecisionId(awaiting != null ? awaiting.decisionId() : request.decisionId())
                .setApprovalId(request.approvalId())
                .setSessionId(s.id())
                .build();
        return c.rpc.unary(SidecarAdapterGrpcClient.ResumeAfterApproval, resume, CALL_DEADLINE_MS)
                .map(response -> ProtoMapper.resumed(request, response))
                .transform(ar -> {
                    if (ar.failed()) {
                        return failed(c, s, ar.cause());
                    }
                    if (ar.result().outcome().admits()) {
                        approvals.invalidate(request.approvalId());
                    }
                    return Future.succeededFuture(remember(request, ar.result()));
                });
    }

    private <T> Future<T> failed(SidecarConnection c, Session s, Throwable cause) {
        if (cause instanceof ProxyException) {
            return Future.failedFuture(cause);
        }
        SidecarException e = SidecarException.of(cause);
        metrics.sidecarFailure(e.reason());
        if (e.held() != null) {
            release(e.held(), "unusable_degrade");
        }
        if (e.connectionLost()) {
            c.lost(s, e);
        }
        if (e.isTransient()) {
            return Future.failedFuture(e);
        }
        if (e.idempotencyConflict()) {
            return Future.failedFuture(ProxyError.IDEMPOTENCY_CONFLICT.exception(
                    "This idempotency key was already used with a different request."));
        }
        if (e.budgetForbidden()) {
            return Future.failedFuture(ProxyError.BUDGET_FORBIDDEN.exception("This budget belongs to another tenant than this key's."));
        }
        LOG.warning("sidecar decision failed (" + e.reason() + "): " + e.getMessage());
        return Future.failedFuture(ProxyError.GATE_UNAVAILABLE.exception(
                "The budget gate could not decide this call (" + e.reason() + "); it was not sent."));
    }

    /**
     * Commits through the sidecar. Against the upstream SpendGuard sidecar, which refuses a commit
     * above the hold, commits the hold and reports the rest as overrun; our own sidecar takes it all.
     */
    @Override
    public Future<Settled> commit(Decision admitted, long actualMicros) {
        SidecarConnection c = connection();
        long held = admitted.reservedMicros();
        long overrun = Math.max(0, actualMicros - held);
        boolean capped = !c.session.sidecarVersion().startsWith(Wire.OWN_SIDECAR_PREFIX);
        long amount = capped ? Math.min(actualMicros, held) : actualMicros;
        if (capped && overrun > 0) {
            LOG.info("overrun: decision " + admitted.decisionId() + " spent " + actualMicros + " µUSD on a hold of " + held
                    + "; committed " + amount + " (the sidecar refuses more) and recorded " + overrun + " as overrun");
        }
        return c.settlements.settle("commit", ProtoMapper.settlement(admitted, unit, LlmCallPostPayload.Outcome.SUCCESS, amount))
                .map(v -> new Settled(admitted.reservationId(), held, amount, overrun, null));
    }

    @Override
    public Future<Settled> release(Decision admitted, String reason) {
        return connection().settlements.settle("release", ProtoMapper.settlement(admitted, unit, ProtoMapper.releaseOutcome(reason), 0))
                .map(v -> new Settled(admitted.reservationId(), admitted.reservedMicros(), 0, 0, null));
    }

    /** The protocol reports no budget state: a reply has nothing to wait for in an acknowledgement. */
    @Override
    public boolean reportsBudgets() {
        return false;
    }

    /** Every connection handshaken and connected, and the sidecar is not draining. */
    @Override
    public boolean ready() {
        return first.ready() && attached.values().stream().allMatch(SidecarConnection::ready);
    }

    /** Stops reconnecting, fails settlements still waiting for a stream, and closes every connection. */
    public Future<Void> close() {
        closed = true;
        List<Future<Void>> all = new ArrayList<>();
        all.add(first.close());
        attached.values().forEach(c -> all.add(c.close()));
        attached.clear();
        return Future.join(all).mapEmpty();
    }
}
