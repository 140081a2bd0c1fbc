package io.spendguard.proxy.sidecar.server;

import com.google.protobuf.Struct;
import io.spendguard.proto.adapter.v1.SidecarAdapterGrpcService;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.sidecar.Loop;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.StatusException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The SpendGuard sidecar protocol ({@code spendguard.sidecar_adapter.v1.SidecarAdapter}) served over
 * a Unix domain socket, backed by the embedded {@link Engine}: what a SpendGuard SDK, or a proxy in
 * {@code gate.mode: sidecar}, talks to. Handshake and decisions are in {@link Decisions}, resume in
 * {@link Resumes}, settlement in {@link Settlements}, the drain signal in {@link DrainSignals}; the
 * grant and session RPCs answer UNIMPLEMENTED. Runs on whatever transport the given Vert.x uses
 * (native epoll when available, else NIO: both serve domain sockets on Java 17).
 * <p>
 * One server per event loop ({@link Options#eventLoops}), all sharing the socket's listener: each
 * connection is served on one loop, and a proxy opens one connection per event loop of its own, so
 * the protocol's framing spreads over the cores. What the servers share (the engine, holds, replays,
 * drain subscribers) is safe across threads; whatever a handler answers is written on the loop of
 * the call it answers, however the answer was reached.
 */
public final class SidecarServer {
    private static final Logger LOG = Logger.getLogger(SidecarServer.class.getName());
    private static final int MAX_TRACKED = 100_000;
    /** A proxy multiplexes the calls of an event loop over one connection; HTTP/2's usual 100 would queue them. */
    private static final long MAX_STREAMS_PER_CONNECTION = 10_000;

    private final Vertx vertx;
    private final Options options;
    private final DrainSignals drains;
    private final Holds holds;
    private String deployment;
    private Future<Void> closed;

    /**
     * How the sidecar runs: the socket path; the tenant a client must assert in its handshake (empty:
     * any); the unit claims must be in ({@code gate.sidecar.unit_id}); how long a drain may wait for
     * open reservations to settle; the clock for timestamps; the meters decisions and settlements
     * are counted in; how many event loops serve the socket (one server on each).
     */
    public record Options(Path socket, String tenantId, String unitId, Duration drainGrace, Clock clock, ProxyMetrics metrics,
                          int eventLoops) {
        public static final String DEFAULT_UNIT = "usd_micros";
        public static final Duration DEFAULT_DRAIN_GRACE = Duration.ofSeconds(20);
        /** As many servers as cores, like the proxy's data-plane listeners. */
        public static final int DEFAULT_EVENT_LOOPS = Runtime.getRuntime().availableProcessors();

        public Options {
            if (socket == null) {
                throw new IllegalArgumentException("socket: missing");
            }
            tenantId = tenantId == null ? "" : tenantId;
            if (unitId == null || unitId.isBlank()) {
                throw new IllegalArgumentException("unit_id: missing");
            }
            if (drainGrace == null || drainGrace.isNegative()) {
                throw new IllegalArgumentException("drain grace: " + drainGrace + " (expected: >= 0)");
            }
            if (clock == null || metrics == null) {
                throw new IllegalArgumentException("clock and metrics are required");
            }
            if (eventLoops < 1) {
                throw new IllegalArgumentException("event loops: " + eventLoops + " (expected: >= 1)");
            }
        }

        /** Served on {@link #DEFAULT_EVENT_LOOPS} event loops. */
        public Options(Path socket, String tenantId, String unitId, Duration drainGrace, Clock clock, ProxyMetrics metrics) {
            this(socket, tenantId, unitId, drainGrace, clock, metrics, DEFAULT_EVENT_LOOPS);
        }

        /** Any tenant, {@value #DEFAULT_UNIT}, a 20 s drain, the system clock. */
        public static Options of(Path socket, ProxyMetrics metrics) {
            return new Options(socket, "", DEFAULT_UNIT, DEFAULT_DRAIN_GRACE, Clock.systemUTC(), metrics);
        }

        /** Refuses a request that names another tenant than this sidecar's (an empty name is not checked). */
        void checkTenant(String named) {
            if (!tenantId.isEmpty() && !named.isEmpty() && !tenantId.equals(named)) {
                throw Messages.status(GrpcStatus.PERMISSION_DENIED, "tenant_id: '" + named + "' is not this sidecar's tenant");
            }
        }
    }

    private SidecarServer(Vertx vertx, Options options, DrainSignals drains, Holds holds) {
        this.vertx = vertx;
        this.options = options;
        this.drains = drains;
        this.holds = holds;
    }

    /**
     * Binds the socket (parent directories created, a stale socket file replaced, mode 0660 after
     * bind) and serves it on {@link Options#eventLoops} event loops; fails if the path holds a live
     * socket or something that is not a socket.
     */
    public static Future<SidecarServer> start(Vertx vertx, Engine engine, Options options) {
        DrainSignals drains = new DrainSignals();
        Holds holds = new Holds(engine.reservationTtl().plusHours(1), MAX_TRACKED);
        SidecarServer server = new SidecarServer(vertx, options, drains, holds);
        Decisions decisions = new Decisions(engine, options, holds, drains);
        Resumes resumes = new Resumes(engine, options, decisions, drains);
        Settlements settlements = new Settlements(engine, options, holds, server::completeDrainWhenIdle);
        Supplier<GrpcServer> routes = () -> routes(GrpcServer.server(vertx), decisions, resumes, settlements, drains);

        Path socket = options.socket();
        return vertx.executeBlocking(() -> {
                    SocketFile.prepare(socket);
                    return null;
                })
                // the servers share one listener on the socket; each connection is served on one of their loops
                .compose(v -> vertx.deployVerticle(() -> new Listener(socket, routes),
                        new DeploymentOptions().setInstances(options.eventLoops())))
                .compose(id -> {
                    server.deployment = id;
                    return vertx.executeBlocking(() -> {
                        SocketFile.restrict(socket);
                        return server;
                    }).recover(e -> vertx.undeploy(id).transform(x -> Future.failedFuture(e)));
                });
    }

    /** One gRPC server on one event loop. */
    private static final class Listener extends VerticleBase {
        private final Path socket;
        private final Supplier<GrpcServer> routes;

        Listener(Path socket, Supplier<GrpcServer> routes) {
            this.socket = socket;
            this.routes = routes;
        }

        @Override
        public Future<?> start() {
            return vertx.createHttpServer(new HttpServerOptions().setInitialSettings(
                            new Http2Settings().setMaxConcurrentStreams(MAX_STREAMS_PER_CONNECTION)))
                    .requestHandler(routes.get())
                    .listen(SocketAddress.domainSocketAddress(socket.toAbsolutePath().toString()));
        }
    }

    private static GrpcServer routes(GrpcServer grpc, Decisions decisions, Resumes resumes, Settlements settlements,
                                     DrainSignals drains) {
        unary(grpc, SidecarAdapterGrpcService.Handshake, decisions::handshake);
        unary(grpc, SidecarAdapterGrpcService.RequestDecision, decisions::decide);
        unary(grpc, SidecarAdapterGrpcService.ResumeAfterApproval, resumes::resume);
        unary(grpc, SidecarAdapterGrpcService.ConfirmPublishOutcome, settlements::confirmOutcome);
        unary(grpc, SidecarAdapterGrpcService.ReleaseReservation, settlements::release);
        grpc.callHandler(SidecarAdapterGrpcService.EmitTraceEvents, settlements::traceEvents);
        grpc.callHandler(SidecarAdapterGrpcService.StreamDrainSignal, drains::subscribe);
        for (ServiceMethod<Struct, Struct> m : List.of(SidecarAdapterGrpcService.IssueBudgetGrant,
                SidecarAdapterGrpcService.RevokeBudgetGrant, SidecarAdapterGrpcService.ConsumeBudgetGrant,
                SidecarAdapterGrpcService.ReserveSession, SidecarAdapterGrpcService.CommitSessionDelta,
                SidecarAdapterGrpcService.ReleaseSession)) {
            unary(grpc, m, request -> Future.failedFuture(Messages.status(GrpcStatus.UNIMPLEMENTED,
                    m.methodName() + " is not served by this sidecar")));
        }
        return grpc;
    }

    /**
     * Binds a unary method: a failed future with a {@link StatusException} is that status; any other
     * failure is INTERNAL. The answer is written on the call's loop: a replayed decision, for one,
     * completes on the loop that decided it first.
     */
    private static <Q, R> void unary(GrpcServer grpc, ServiceMethod<Q, R> method, Function<Q, Future<R>> handler) {
        grpc.callHandler(method, call -> call.handler(request -> {
            Loop loop = Loop.current();
            Future<R> result;
            try {
                result = handler.apply(request);
            } catch (RuntimeException e) {
                result = Future.failedFuture(e);
            }
            result.onComplete(ar -> loop.run(() -> {
                if (ar.succeeded()) {
                    call.response().end(ar.result());
                } else {
                    fail(call.response(), method.methodName(), ar.cause());
                }
            }));
        }));
    }

    private static void fail(GrpcServerResponse<?, ?> out, String method, Throwable e) {
        if (e instanceof StatusException se) {
            out.status(se.status()).statusMessage(se.message()).end();
        } else {
            LOG.log(Level.WARNING, method + " failed", e);
            out.status(GrpcStatus.INTERNAL).statusMessage("internal error: " + e.getMessage()).end();
        }
    }

    /**
     * Drains: every {@code StreamDrainSignal} subscriber gets DRAIN_INITIATED (deadline = now + grace),
     * new decisions and resumes are refused with UNAVAILABLE {@code "draining"} while settlements go
     * on, and DRAIN_COMPLETE follows once no reservation granted here is held, or the grace has
     * passed. The future completes when DRAIN_COMPLETE is sent; calling again returns the same one.
     */
    public Future<Void> drain() {
        if (drains.initiate(options.clock().instant().plus(options.drainGrace()))) {
            long timer = vertx.setTimer(Math.max(1, options.drainGrace().toMillis()), id -> drains.complete());
            drains.drained().onComplete(v -> vertx.cancelTimer(timer));
            completeDrainWhenIdle();
        }
        return drains.drained();
    }

    private void completeDrainWhenIdle() {
        if (drains.draining() && holds.isEmpty()) {
            drains.complete();
        }
    }

    /** True from {@link #drain} on. */
    public boolean draining() {
        return drains.draining();
    }

    /** Closes the listeners and their connections, and removes the socket file; calling again returns the same future. */
    public synchronized Future<Void> close() {
        if (closed == null) {
            closed = vertx.undeploy(deployment).compose(v -> vertx.executeBlocking(() -> {
                SocketFile.delete(options.socket());
                return null;
            }));
        }
        return closed;
    }
}
