package io.spendguard.proxy.sidecar.client;

import io.spendguard.proto.adapter.v1.DrainSignal;
import io.spendguard.proto.adapter.v1.DrainSubscribeRequest;
import io.spendguard.proto.adapter.v1.HandshakeRequest;
import io.spendguard.proto.adapter.v1.HandshakeResponse;
import io.spendguard.proto.adapter.v1.SidecarAdapterGrpcClient;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.sidecar.Loop;
import io.spendguard.proxy.sidecar.Wire;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The session with the sidecar. Start-up handshakes with retry and exponential back-off until
 * {@code gate.sidecar.handshake_timeout_ms}, then fails. Whenever the connection is lost (a stream
 * breaks, a call finds the sidecar unreachable) the session is dropped and a new handshake runs in
 * the background, with back-off, until it succeeds or the gate closes; each new session subscribes
 * to the drain signal and is handed to {@code onSession} (which re-opens the settlement stream). All
 * state changes run on the connection's event loop; other threads read the volatile fields.
 */
final class SidecarSession {
    private static final Logger LOG = Logger.getLogger(SidecarSession.class.getName());
    private static final long FIRST_BACKOFF_MS = 50;
    private static final long MAX_BACKOFF_MS = 2_000;
    private static final long ATTEMPT_DEADLINE_MS = 5_000;
    /** A session that lived this long resets the reconnect back-off. */
    private static final long STABLE_NANOS = 10_000_000_000L;
    private static final long DRAIN_QUIET_MS = 250;

    /** One handshake's result: the session id (audit only) and the sidecar's version. */
    record Session(String id, String sidecarVersion, long establishedNanos) { }

    private final Vertx vertx;
    private final Loop loop;
    private final SidecarRpc rpc;
    private final String tenantId;
    private final ProxyMetrics metrics;
    private final Consumer<Session> onSession;
    private volatile Session current;
    private volatile boolean draining;
    private volatile boolean closed;
    private volatile String sidecarVersion = "";
    private int lossStreak;

    SidecarSession(Vertx vertx, Loop loop, SidecarRpc rpc, String tenantId, ProxyMetrics metrics, Consumer<Session> onSession) {
        this.vertx = vertx;
        this.loop = loop;
        this.rpc = rpc;
        this.tenantId = tenantId;
        this.metrics = metrics;
        this.onSession = onSession;
    }

    /** The first handshake, retried until {@code timeoutMs} has passed. */
    Future<Session> start(long timeoutMs) {
        Promise<Session> done = Promise.promise();
        loop.run(() -> attempt(done, System.nanoTime() + timeoutMs * 1_000_000, FIRST_BACKOFF_MS, null));
        return done.future().map(s -> {
            established(s);
            return s;
        });
    }

    /** The live session, or null while (re)connecting. */
    Session current() {
        return current;
    }

    boolean draining() {
        return draining;
    }

    /** The version the last handshake reported (empty before the first). */
    String sidecarVersion() {
        return sidecarVersion;
    }

    /** Drops {@code lost} (if it is still the live session) and handshakes again in the background. */
    void lost(Session lost, Throwable cause) {
        loop.run(() -> {
            if (closed || lost == null || current != lost) {
                return;
            }
            current = null;
            lossStreak = System.nanoTime() - lost.establishedNanos() > STABLE_NANOS ? 0 : lossStreak + 1;
            metrics.sidecarReconnect();
            LOG.warning("lost the sidecar session " + lost.id() + " (" + cause.getMessage() + "); handshaking again");
            Promise<Session> done = Promise.promise();
            done.future().onSuccess(this::established);
            long delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(lossStreak, 6));
            vertx.setTimer(delay, id -> attempt(done, Long.MAX_VALUE, delay, null));
        });
    }

    private void attempt(Promise<Session> done, long deadlineNanos, long backoffMs, Throwable last) {
        long remainingMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
        if (closed || remainingMs <= 0) {
            done.fail(closed ? new IllegalStateException("the sidecar gate is closed")
                    : new IllegalStateException("no handshake with the sidecar at " + rpc.socket() + " within the "
                            + "handshake timeout (gate.sidecar.handshake_timeout_ms); last error: "
                            + (last == null ? "none" : last.getMessage())));
            return;
        }
        handshake(Math.min(remainingMs, ATTEMPT_DEADLINE_MS)).onComplete(ar -> {
            if (ar.succeeded()) {
                done.complete(ar.result());
            } else {
                vertx.setTimer(backoffMs, id -> attempt(done, deadlineNanos, Math.min(backoffMs * 2, MAX_BACKOFF_MS), ar.cause()));
            }
        });
    }

    private Future<Session> handshake(long deadlineMs) {
        HandshakeRequest request = HandshakeRequest.newBuilder()
                .setProtocolVersion(Wire.PROTOCOL_VERSION)
                .setCapabilityLevel(HandshakeRequest.CapabilityLevel.L1_LLM_CALL)
                .setRuntimeKind("egress-proxy")
                .setSdkVersion("spendguard-proxy")
                .setTenantIdAssertion(tenantId)
                .build();
        return rpc.unary(SidecarAdapterGrpcClient.Handshake, request, deadlineMs).compose(this::accept);
    }

    private Future<Session> accept(HandshakeResponse r) {
        if (r.getProtocolVersion() != Wire.PROTOCOL_VERSION) {
            return Future.failedFuture(SidecarException.protocol("protocol",
                    "the sidecar speaks protocol_version " + r.getProtocolVersion() + " (expected: " + Wire.PROTOCOL_VERSION + ")"));
        }
        return Future.succeededFuture(new Session(r.getSessionId(), r.getSidecarVersion(), System.nanoTime()));
    }

    private void established(Session s) {
        if (closed) {
            return;
        }
        current = s;
        sidecarVersion = s.sidecarVersion();
        LOG.info("sidecar session " + s.id() + " with " + s.sidecarVersion() + " at " + rpc.socket());
        subscribeDrain(s);
        onSession.accept(s);
    }

    /**
     * Follows the drain signal of session {@code s}. A draining sidecar tells a new subscriber at once,
     * so after a drain the flag stays up until the new subscription has been quiet for
     * {@link #DRAIN_QUIET_MS}: a sidecar that drained and was replaced serves again, one that is
     * still draining does not flap to ready in between.
     */
    private void subscribeDrain(Session s) {
        rpc.stream(SidecarAdapterGrpcClient.StreamDrainSignal).compose(req -> {
            req.end(DrainSubscribeRequest.newBuilder().setSessionId(s.id()).build());
            return req.response();
        }).onComplete(ar -> {
            if (ar.failed()) {
                if (SidecarException.of(ar.cause()).reason().equals("status_unimplemented")) {
                    noDrainSignal(s);
                } else {
                    lost(s, ar.cause());
                }
                return;
            }
            GrpcClientResponse<DrainSubscribeRequest, DrainSignal> signals = ar.result();
            long quiet = draining ? vertx.setTimer(DRAIN_QUIET_MS, id -> serving(s)) : -1;
            signals.handler(signal -> {
                vertx.cancelTimer(quiet);
                if (signal.getPhase() != DrainSignal.Phase.PHASE_UNSPECIFIED && !draining) {
                    draining = true;
                    LOG.warning("the sidecar is draining (" + signal.getPhase() + ", " + signal.getDrainTrigger()
                            + "): new calls get 503 until it serves again");
                }
            });
            signals.exceptionHandler(e -> lost(s, e));
            signals.endHandler(v -> {
                if (signals.status() == GrpcStatus.UNIMPLEMENTED) {
                    noDrainSignal(s);
                } else {
                    lost(s, new IllegalStateException("the drain signal stream ended (" + signals.status() + ")"));
                }
            });
        });
    }

    private void noDrainSignal(Session s) {
        LOG.info("the sidecar does not offer StreamDrainSignal; draining will not be announced");
        serving(s);
    }

    private void serving(Session s) {
        if (current == s && draining) {
            draining = false;
            LOG.info("the sidecar serves again (session " + s.id() + ")");
        }
    }

    /** Stops reconnecting; a handshake in progress fails. */
    void close() {
        closed = true;
        current = null;
    }
}
