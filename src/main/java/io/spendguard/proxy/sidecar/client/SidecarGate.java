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
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * The {@link Gate} backed by a SpendGuard sidecar over gRPC on a Unix socket (WIRE.md): one
 * {@code RequestDecision} per call (or {@code ResumeAfterApproval} for an approved one), settlements
 * on one long-lived {@code EmitTraceEvents} stream ({@link SettlementStream}), and the session,
 * reconnects and drain signal in {@link SidecarSession}. An unreachable or silent sidecar fails the
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

    private final SidecarConfig config;
    private final ProxyMetrics metrics;
    private final SidecarRpc rpc;
    private final UnitRef unit;
    private final SidecarSession session;
    private final SettlementStream settlements;
    private final Cache<String, AwaitingApproval> approvals = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofHours(24)).maximumSize(100_000).build();

    private SidecarGate(Vertx vertx, SidecarConfig config, ProxyMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.rpc = SidecarRpc.create(vertx, config.socket());
        this.unit = ProtoMapper.unit(config.unitId());
        Context home = vertx.getOrCreateContext();
        this.settlements = new SettlementStream(vertx, home, rpc, metrics, this::lost);
        this.session = new SidecarSession(vertx, home, rpc, config.tenantId(), metrics, settlements::open);
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
        SidecarGate gate = new SidecarGate(vertx, config.gate().sidecar(), metrics);
        return gate.session.start(config.gate().sidecar().handshakeTimeoutMs())
                .transform(ar -> ar.succeeded() ? Future.succeededFuture(gate)
                        : gate.close().transform(x -> Future.failedFuture(ar.cause())));
    }

    @Override
    public GateMode mode() {
        return GateMode.SIDECAR;
    }

    @Override
    public Future<Decision> decide(DecisionRequest request) {
        if (session.draining()) {
            metrics.sidecarFailure("draining");
            return Future.failedFuture(ProxyError.GATE_UNAVAILABLE.exception("The budget gate is draining; the call was not sent.")
                    .header("Retry-After", "1"));
        }
        Session s = session.current();
        if (s == null) {
            return failed(null, SidecarException.notConnected(config.socket()));
        }
        if (request.approvalId() != null) {
            return resume(request, s);
        }
        return rpc.unary(SidecarAdapterGrpcClient.RequestDecision, ProtoMapper.decisionRequest(request, unit), CALL_DEADLINE_MS)
                .map(response -> ProtoMapper.decision(request, response))
                .transform(ar -> ar.failed() ? failed(s, ar.cause()) : Future.succeededFuture(remember(request, ar.result())));
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
    private Future<Decision> resume(DecisionRequest request, Session s) {
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
        return rpc.unary(SidecarAdapterGrpcClient.ResumeAfterApproval, resume, CALL_DEADLINE_MS)
                .map(response -> ProtoMapper.resumed(request, response))
                .transform(ar -> {
                    if (ar.failed()) {
                        return failed(s, ar.cause());
                    }
                    if (ar.result().outcome().admits()) {
                        approvals.invalidate(request.approvalId());
                    }
                    return Future.succeededFuture(remember(request, ar.result()));
                });
    }

    private <T> Future<T> failed(Session s, Throwable cause) {
        if (cause instanceof ProxyException) {
            return Future.failedFuture(cause);
        }
        SidecarException e = SidecarException.of(cause);
        metrics.sidecarFailure(e.reason());
        if (e.held() != null) {
            release(e.held(), "unusable_degrade");
        }
        if (e.connectionLost()) {
            lost(s, e);
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

    private void lost(Session s, Throwable cause) {
        session.lost(s, cause);
    }

    /**
     * Commits through the sidecar. Against the upstream SpendGuard sidecar, which refuses a commit
     * above the hold, commits the hold and reports the rest as overrun; our own sidecar takes it all.
     */
    @Override
    public Future<Settled> commit(Decision admitted, long actualMicros) {
        long held = admitted.reservedMicros();
        long overrun = Math.max(0, actualMicros - held);
        boolean capped = !session.sidecarVersion().startsWith(Wire.OWN_SIDECAR_PREFIX);
        long amount = capped ? Math.min(actualMicros, held) : actualMicros;
        if (capped && overrun > 0) {
            LOG.info("overrun: decision " + admitted.decisionId() + " spent " + actualMicros + " µUSD on a hold of " + held
                    + "; committed " + amount + " (the sidecar refuses more) and recorded " + overrun + " as overrun");
        }
        return settlements.settle("commit", ProtoMapper.settlement(admitted, unit, LlmCallPostPayload.Outcome.SUCCESS, amount))
                .map(v -> new Settled(admitted.reservationId(), held, amount, overrun, null));
    }

    @Override
    public Future<Settled> release(Decision admitted, String reason) {
        return settlements.settle("release", ProtoMapper.settlement(admitted, unit, ProtoMapper.releaseOutcome(reason), 0))
                .map(v -> new Settled(admitted.reservationId(), admitted.reservedMicros(), 0, 0, null));
    }

    /** Handshake done, connected, and the sidecar is not draining. */
    @Override
    public boolean ready() {
        return session.current() != null && !session.draining();
    }

    /** Stops reconnecting, fails settlements still waiting for a stream, and closes the connection. */
    public Future<Void> close() {
        session.close();
        return settlements.close().eventually(rpc::close);
    }
}
