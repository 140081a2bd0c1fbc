package io.spendguard.proxy.sidecar.server;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spendguard.proto.adapter.v1.ClaimEstimate;
import io.spendguard.proto.adapter.v1.DecisionRequest;
import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.adapter.v1.HandshakeRequest;
import io.spendguard.proto.adapter.v1.LlmCallPostPayload;
import io.spendguard.proto.adapter.v1.SidecarAdapterGrpcClient;
import io.spendguard.proto.adapter.v1.TraceEvent;
import io.spendguard.proto.adapter.v1.TraceEventAck;
import io.spendguard.proto.common.v1.BudgetClaim;
import io.spendguard.proto.common.v1.Idempotency;
import io.spendguard.proto.common.v1.SpendGuardIds;
import io.spendguard.proto.common.v1.UnitRef;
import io.spendguard.proxy.config.RunsConfig;
import io.spendguard.proxy.engine.Approvals;
import io.spendguard.proxy.engine.Contracts;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.ledger.memory.MemoryLedger;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real sidecar on a real Unix socket in a temp directory, with its own Vert.x (native transport
 * when available) and engine, and a Vert.x gRPC client calling it as an SDK would. Budgets:
 * {@code team} (1 000 000 µUSD, daily, approval above 500 000) and {@code small} (1 000 µUSD, default).
 */
final class SidecarFixture implements AutoCloseable {
    static final String TENANT = "acme";
    static final UnitRef USD = UnitRef.newBuilder().setUnitId("usd_micros").setKind(UnitRef.Kind.MONETARY)
            .setCurrency("USD").setUnitName("usd_micros").build();

    final Vertx vertx;
    final Engine engine;
    final SidecarServer server;
    final Path socket;
    final GrpcClient grpc;
    final SocketAddress address;
    final SidecarAdapterGrpcClient client;

    private SidecarFixture(Vertx vertx, Engine engine, SidecarServer server, Path socket) {
        this.vertx = vertx;
        this.engine = engine;
        this.server = server;
        this.socket = socket;
        this.grpc = GrpcClient.client(vertx);
        this.address = SocketAddress.domainSocketAddress(socket.toString());
        this.client = SidecarAdapterGrpcClient.create(grpc, address);
    }

    static SidecarFixture start(Path dir) throws Exception {
        return start(dir.resolve("run/adapter.sock"), true, Duration.ofSeconds(30));
    }

    /** With the run limits {@code runs} for every budget. */
    static SidecarFixture start(Path dir, RunsConfig runs) throws Exception {
        return start(dir.resolve("run/adapter.sock"), true, Duration.ofSeconds(30), runs);
    }

    static SidecarFixture start(Path socket, boolean nativeTransport, Duration drainGrace) throws Exception {
        return start(socket, nativeTransport, drainGrace, RunsConfig.DEFAULTS, Clock.systemUTC(), SidecarServer.Options.DEFAULT_EVENT_LOOPS);
    }

    /** Served on {@code eventLoops} event loops, timestamps (and nothing else) read from {@code answers}. */
    static SidecarFixture start(Path socket, Clock answers, int eventLoops) throws Exception {
        return start(socket, true, Duration.ofSeconds(30), RunsConfig.DEFAULTS, answers, eventLoops);
    }

    private static SidecarFixture start(Path socket, boolean nativeTransport, Duration drainGrace, RunsConfig runs) throws Exception {
        return start(socket, nativeTransport, drainGrace, runs, Clock.systemUTC(), SidecarServer.Options.DEFAULT_EVENT_LOOPS);
    }

    private static SidecarFixture start(Path socket, boolean nativeTransport, Duration drainGrace, RunsConfig runs, Clock answers,
                                        int eventLoops) throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(nativeTransport));
        Clock clock = Clock.systemUTC();
        Engine engine = new Engine(new MemoryLedger(clock), new Approvals(clock, Duration.ofHours(24)), clock, Duration.ofMinutes(15),
                () -> Contracts.NONE, budgetId -> runs);
        engine.putBudget(new BudgetSpec("team", 1_000_000, "daily", "UTC", 500_000L, false)).await(5, TimeUnit.SECONDS);
        engine.putBudget(new BudgetSpec("small", 1_000, "none", "UTC", null, true)).await(5, TimeUnit.SECONDS);
        SidecarServer.Options options = new SidecarServer.Options(socket, TENANT, "usd_micros", drainGrace, answers,
                new ProxyMetrics(new SimpleMeterRegistry()), eventLoops);
        try {
            return new SidecarFixture(vertx, engine, SidecarServer.start(vertx, engine, options).await(10, TimeUnit.SECONDS), socket);
        } catch (Exception e) {
            vertx.close().await(10, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** What a unary call ended with: its status, status message and response (null unless OK). */
    record Reply<T>(GrpcStatus status, String message, T body) { }

    /** Calls a unary method and reports the status instead of failing on a non-OK one. */
    <Q, R> Reply<R> call(ServiceMethod<R, Q> method, Q request) throws Exception {
        // last() and end() are futures: unlike handlers they cannot miss a reply that ended before they were set.
        return grpc.request(address, method).compose(req -> req.send(request)).compose(resp -> resp.last()
                .transform(ar -> resp.end().transform(e -> Future.succeededFuture(
                        new Reply<>(resp.status(), resp.statusMessage(), ar.succeeded() ? ar.result() : null)))))
                .await(10, TimeUnit.SECONDS);
    }

    static HandshakeRequest handshake(String tenant, int version) {
        return HandshakeRequest.newBuilder().setProtocolVersion(version).setTenantIdAssertion(tenant)
                .setCapabilityLevel(HandshakeRequest.CapabilityLevel.L1_LLM_CALL).setRuntimeKind("egress-proxy").build();
    }

    /** A decision request as the proxy builds it: every field derived from the key. */
    static DecisionRequest decision(String key, String budget, String amount) {
        return DecisionRequest.newBuilder()
                .setSessionId("ses-test")
                .setTrigger(DecisionRequest.Trigger.LLM_CALL_PRE)
                .setRoute("llm.call")
                .setIds(SpendGuardIds.newBuilder().setRunId("run-1").setStepId("step-" + key).setLlmCallId("call-" + key)
                        .setDecisionId("dec-" + key))
                .setInputs(DecisionRequest.Inputs.newBuilder()
                        .addProjectedClaims(BudgetClaim.newBuilder().setBudgetId(budget).setUnit(USD).setAmountAtomic(amount)
                                .setDirection(BudgetClaim.Direction.DEBIT))
                        .setProjectedUnit(USD)
                        .setClaimEstimate(ClaimEstimate.newBuilder().setModel("gpt-4o-mini").setInputTokens(12).setPredictedATokens(100)))
                .setIdempotency(Idempotency.newBuilder().setKey(key))
                .build();
    }

    DecisionResponse decide(String key, String budget, String amount) throws Exception {
        return client.requestDecision(decision(key, budget, amount)).await(10, TimeUnit.SECONDS);
    }

    static TraceEvent post(String reservationId, LlmCallPostPayload.Outcome outcome, String estimated) {
        return TraceEvent.newBuilder().setKind(TraceEvent.EventKind.LLM_CALL_POST)
                .setLlmCallPost(LlmCallPostPayload.newBuilder().setReservationId(reservationId).setUnit(USD)
                        .setOutcome(outcome).setEstimatedAmountAtomic(estimated))
                .build();
    }

    /** One open {@code EmitTraceEvents} stream: send events, take acks as they come. */
    final class TraceStream {
        final GrpcClientRequest<TraceEvent, TraceEventAck> request;
        final BlockingQueue<TraceEventAck> acks = new LinkedBlockingQueue<>();

        TraceStream() throws Exception {
            this(grpc);
        }

        /** On {@code via}'s connection. */
        TraceStream(GrpcClient via) throws Exception {
            request = via.request(address, SidecarAdapterGrpcClient.EmitTraceEvents).await(10, TimeUnit.SECONDS);
            request.response().onSuccess(resp -> resp.handler(acks::add));
        }

        TraceEventAck send(TraceEvent event) throws Exception {
            request.write(event);
            return next();
        }

        TraceEventAck next() throws Exception {
            TraceEventAck ack = acks.poll(10, TimeUnit.SECONDS);
            if (ack == null) {
                throw new AssertionError("no ack within 10 s");
            }
            return ack;
        }
    }

    BudgetState budget(String id) throws Exception {
        return engine.ledger().budget(id).await(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws TimeoutException {
        try {
            grpc.close().await(10, TimeUnit.SECONDS);
            server.close().await(10, TimeUnit.SECONDS);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
