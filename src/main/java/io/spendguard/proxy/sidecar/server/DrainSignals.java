package io.spendguard.proxy.sidecar.server;

import io.spendguard.proto.adapter.v1.DrainSignal;
import io.spendguard.proto.adapter.v1.DrainSubscribeRequest;
import io.spendguard.proxy.sidecar.Loop;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code StreamDrainSignal} subscribers and the drain's phase: serving → draining (every
 * subscriber, present or late, gets DRAIN_INITIATED with the deadline) → drained (DRAIN_COMPLETE,
 * then the stream ends). Subscribers that go away are dropped; writes to them are best effort. A
 * subscriber is written to on the loop that serves its call, whichever thread starts or ends the
 * drain (a shutdown hook, the last settlement on another loop).
 */
final class DrainSignals {
    private static final String TRIGGER = "shutdown";

    private enum Phase { SERVING, DRAINING, DRAINED }

    private final Map<GrpcServerResponse<DrainSubscribeRequest, DrainSignal>, Loop> subscribers = new LinkedHashMap<>();
    private final Promise<Void> drained = Promise.promise();
    private volatile Phase phase = Phase.SERVING;
    private Instant deadline;

    /** Keeps the call open as a subscriber; one that arrives during a drain is told at once. */
    void subscribe(GrpcServerRequest<DrainSubscribeRequest, DrainSignal> call) {
        GrpcServerResponse<DrainSubscribeRequest, DrainSignal> out = call.response();
        call.exceptionHandler(e -> drop(out));
        out.exceptionHandler(e -> drop(out));
        call.handler(msg -> join(out, Loop.current()));
    }

    private synchronized void join(GrpcServerResponse<DrainSubscribeRequest, DrainSignal> out, Loop loop) {
        switch (phase) {
            case SERVING -> {
                subscribers.put(out, loop);
                out.writeHead(); // the client's call completes on the headers; signals follow when there are any
            }
            case DRAINING -> {
                subscribers.put(out, loop);
                out.write(signal(DrainSignal.Phase.DRAIN_INITIATED));
            }
            case DRAINED -> {
                out.write(signal(DrainSignal.Phase.DRAIN_INITIATED));
                out.end(signal(DrainSignal.Phase.DRAIN_COMPLETE));
            }
        }
    }

    private synchronized void drop(GrpcServerResponse<DrainSubscribeRequest, DrainSignal> out) {
        subscribers.remove(out);
    }

    /** Starts the drain; false if it had already started. */
    synchronized boolean initiate(Instant drainDeadline) {
        if (phase != Phase.SERVING) {
            return false;
        }
        phase = Phase.DRAINING;
        deadline = drainDeadline;
        DrainSignal initiated = signal(DrainSignal.Phase.DRAIN_INITIATED);
        subscribers.forEach((out, loop) -> loop.run(() -> out.write(initiated)));
        return true;
    }

    /** Ends the drain: DRAIN_COMPLETE to every subscriber. Only the first call after {@link #initiate} acts. */
    synchronized void complete() {
        if (phase != Phase.DRAINING) {
            return;
        }
        phase = Phase.DRAINED;
        DrainSignal complete = signal(DrainSignal.Phase.DRAIN_COMPLETE);
        subscribers.forEach((out, loop) -> loop.run(() -> out.end(complete)));
        subscribers.clear();
        drained.complete();
    }

    boolean draining() {
        return phase != Phase.SERVING;
    }

    /** Completes when DRAIN_COMPLETE has been sent. */
    Future<Void> drained() {
        return drained.future();
    }

    private DrainSignal signal(DrainSignal.Phase p) {
        return DrainSignal.newBuilder().setPhase(p).setDeadline(Messages.timestamp(deadline)).setDrainTrigger(TRIGGER).build();
    }
}
