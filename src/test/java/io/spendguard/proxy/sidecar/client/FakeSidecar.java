package io.spendguard.proxy.sidecar.client;

import com.google.protobuf.InvalidProtocolBufferException;
import io.spendguard.proto.adapter.v1.DecisionRequest;
import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.adapter.v1.DrainSignal;
import io.spendguard.proto.adapter.v1.DrainSubscribeRequest;
import io.spendguard.proto.adapter.v1.HandshakeRequest;
import io.spendguard.proto.adapter.v1.HandshakeResponse;
import io.spendguard.proto.adapter.v1.PublishOutcomeRequest;
import io.spendguard.proto.adapter.v1.PublishOutcomeResponse;
import io.spendguard.proto.adapter.v1.ResumeAfterApprovalRequest;
import io.spendguard.proto.adapter.v1.ResumeAfterApprovalResponse;
import io.spendguard.proto.adapter.v1.SidecarAdapterGrpcService;
import io.spendguard.proto.adapter.v1.TraceEvent;
import io.spendguard.proto.adapter.v1.TraceEventAck;
import io.spendguard.proto.common.v1.Error;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A protocol peer for testing {@link SidecarGate}: a real Vert.x gRPC server on a real Unix socket
 * that answers the RPCs the gate uses with simple in-memory behaviour, records what it received (the
 * raw bytes of every RequestDecision, the {@code :authority} of every request) and injects faults on
 * demand: a status instead of a decision, rejected acks, a dropped connection, a drain signal.
 */
final class FakeSidecar {
    final List<HandshakeRequest> handshakes = new CopyOnWriteArrayList<>();
    final List<Buffer> decisionBytes = new CopyOnWriteArrayList<>();
    final List<ResumeAfterApprovalRequest> resumes = new CopyOnWriteArrayList<>();
    final List<TraceEvent> events = new CopyOnWriteArrayList<>();
    final List<PublishOutcomeRequest> confirms = new CopyOnWriteArrayList<>();
    final List<String> authorities = new CopyOnWriteArrayList<>();
    final AtomicInteger streamsOpened = new AtomicInteger();
    /** Reservations already settled: a second settlement is a RESERVATION_STATE_CONFLICT. */
    final Set<String> settled = ConcurrentHashMap.newKeySet();

    volatile String version = "spendguard-proxy/test";
    volatile Function<DecisionRequest, DecisionResponse> decide = FakeSidecar::admit;
    volatile GrpcStatus decisionStatus;
    volatile String decisionStatusMessage = "injected";
    volatile Function<ResumeAfterApprovalRequest, ResumeAfterApprovalResponse> resume =
            r -> ResumeAfterApprovalResponse.newBuilder().setError(Error.newBuilder().setMessage("[APPROVAL_UNKNOWN] " + r.getApprovalId())).build();
    /** How many of the next trace events get a REJECTED ack. */
    final AtomicInteger rejectNext = new AtomicInteger();
    volatile boolean alwaysReject;
    /** The next trace event is applied but the connection is closed before its ack. */
    volatile boolean dropOnNextEvent;
    /** StreamDrainSignal answers UNIMPLEMENTED, as a sidecar without drain support would. */
    volatile boolean noDrainSignal;

    private final List<GrpcServerResponse<DrainSubscribeRequest, DrainSignal>> drainSubscribers = new CopyOnWriteArrayList<>();
    private boolean draining;
    private boolean drained;
    private HttpServer http;

    private final Vertx vertx;

    private FakeSidecar(Vertx vertx) {
        this.vertx = vertx;
    }

    static DecisionResponse admit(DecisionRequest r) {
        return DecisionResponse.newBuilder().setDecisionId(r.getIds().getDecisionId())
                .setDecision(DecisionResponse.Decision.CONTINUE).addReservationIds("res-" + r.getIds().getDecisionId()).build();
    }

    /** Listens on {@code socket}, replacing a stale socket file. */
    static Future<FakeSidecar> start(Vertx vertx, Path socket) {
        FakeSidecar fake = new FakeSidecar(vertx);
        GrpcServer grpc = GrpcServer.server(vertx);
        grpc.callHandler(SidecarAdapterGrpcService.Handshake, call -> call.handler(req -> {
            fake.handshakes.add(req);
            call.response().end(HandshakeResponse.newBuilder().setProtocolVersion(1).setSidecarVersion(fake.version)
                    .setSessionId("session-" + fake.handshakes.size()).build());
        }));
        grpc.callHandler(SidecarAdapterGrpcService.RequestDecision, call -> call.messageHandler(msg -> {
            fake.decisionBytes.add(msg.payload().copy());
            if (fake.decisionStatus != null) {
                call.response().status(fake.decisionStatus).statusMessage(fake.decisionStatusMessage).end();
                return;
            }
            try {
                call.response().end(fake.decide.apply(DecisionRequest.parseFrom(msg.payload().getBytes())));
            } catch (InvalidProtocolBufferException e) {
                call.response().status(GrpcStatus.INVALID_ARGUMENT).end();
            }
        }));
        grpc.callHandler(SidecarAdapterGrpcService.ResumeAfterApproval, call -> call.handler(req -> {
            fake.resumes.add(req);
            call.response().end(fake.resume.apply(req));
        }));
        grpc.callHandler(SidecarAdapterGrpcService.ConfirmPublishOutcome, call -> call.handler(req -> {
            fake.confirms.add(req);
            call.response().end(PublishOutcomeResponse.newBuilder().setAuditOutcomeEventId("audit-" + fake.confirms.size()).build());
        }));
        grpc.callHandler(SidecarAdapterGrpcService.StreamDrainSignal, call -> call.handler(req -> {
            if (fake.noDrainSignal) {
                call.response().status(GrpcStatus.UNIMPLEMENTED).end();
            } else {
                fake.subscribe(call.response());
            }
        }));
        grpc.callHandler(SidecarAdapterGrpcService.EmitTraceEvents, call -> {
            fake.streamsOpened.incrementAndGet();
            call.handler(event -> fake.traceEvent(call.connection(), call.response(), event));
        });
        return vertx.executeBlocking(() -> Files.deleteIfExists(socket))
                .compose(v -> vertx.createHttpServer().requestHandler(req -> {
                    fake.authorities.add(req.authority() == null ? "none"
                            : req.authority().host() + (req.authority().port() > 0 ? ":" + req.authority().port() : ""));
                    grpc.handle(req);
                }).listen(SocketAddress.domainSocketAddress(socket.toString())))
                .map(server -> {
                    fake.http = server;
                    return fake;
                });
    }

    private void traceEvent(io.vertx.core.http.HttpConnection connection, GrpcServerResponse<TraceEvent, TraceEventAck> out,
                            TraceEvent event) {
        events.add(event);
        String id = event.getLlmCallPost().getReservationId();
        TraceEventAck.Builder ack = TraceEventAck.newBuilder().setEventId(id);
        if (alwaysReject || rejectNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            out.write(ack.setStatus(TraceEventAck.Status.REJECTED)
                    .setError(Error.newBuilder().setCode(Error.Code.SYNC_REPLICA_UNAVAILABLE).setMessage("injected")).build());
            return;
        }
        if (!settled.add(id)) {
            out.write(ack.setStatus(TraceEventAck.Status.REJECTED)
                    .setError(Error.newBuilder().setCode(Error.Code.RESERVATION_STATE_CONFLICT).setMessage("already settled")).build());
            return;
        }
        if (dropOnNextEvent) {
            dropOnNextEvent = false;
            connection.close();
            return;
        }
        out.write(ack.setStatus(TraceEventAck.Status.ACCEPTED).build());
    }

    /** Like our sidecar: a subscriber that arrives during a drain is told, and after the drain the stream ends. */
    private synchronized void subscribe(GrpcServerResponse<DrainSubscribeRequest, DrainSignal> out) {
        if (drained) {
            // headers first, the signals a moment later: the window in which a client must not look ready
            out.writeHead();
            vertx.setTimer(100, id -> {
                out.write(signal(DrainSignal.Phase.DRAIN_INITIATED));
                out.end(signal(DrainSignal.Phase.DRAIN_COMPLETE));
            });
            return;
        }
        drainSubscribers.add(out);
        if (draining) {
            out.write(signal(DrainSignal.Phase.DRAIN_INITIATED));
        } else {
            out.writeHead();
        }
    }

    /** Tells every subscriber the sidecar is draining. */
    synchronized void drain() {
        draining = true;
        drainSubscribers.forEach(out -> out.write(signal(DrainSignal.Phase.DRAIN_INITIATED)));
    }

    /** Ends the drain: DRAIN_COMPLETE, and every drain stream ends. */
    synchronized void drainComplete() {
        drained = true;
        drainSubscribers.forEach(out -> out.end(signal(DrainSignal.Phase.DRAIN_COMPLETE)));
        drainSubscribers.clear();
    }

    private static DrainSignal signal(DrainSignal.Phase phase) {
        return DrainSignal.newBuilder().setPhase(phase).setDrainTrigger("test").build();
    }

    /** Closes the listener and every connection, as a killed process would. */
    Future<Void> stop() {
        return http.close();
    }
}
