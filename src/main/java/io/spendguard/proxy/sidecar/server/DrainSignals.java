package io.spendguard.proxy.sidecar.server;

import io.spendguard.proto.adapter.v1.DrainSignal;
import io.spendguard.proto.adapter.v1.DrainSubscribeRequest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The {@code StreamDrainSignal} subscribers and the drain's phase: serving → draining (every
 * subscriber, present or late, gets DRAIN_INITIATED with the deadline) → drained (DRAIN_COMPLETE,
 * then the stream ends). Subscribers that go away are dropped; writes to them are best effort.
 */
final class DrainSignals {
    private static final String TRIGGER = "shutdown";

    private enum Phase { SERVING, DRAINING, DRAINED }

    private final Set<GrpcServerResponse<DrainSubscribeRequest, DrainSignal>> subscribers = new LinkedHashSet<>();
    private final Promise<Void> drained = Promise.promise();
    private volatile Phase phase = Phase.SERVING;
    private Instant deadline;

    /** Keeps the call open as a subscriber; one that arrives during a drain is told at once. */
    void subscribe(GrpcServerRequest<DrainSubscribeRequest, DrainSignal> call) {
        GrpcServerResponse<DrainSubscribeRequest, DrainSignal> out = call.response();
        call.exceptionHandler(e -> drop(out));
        out.exceptionHandler(e -> drop(out));
        call.handler(msg -> join(out));
    }

    private synchronized void join(GrpcServerResponse<DrainSubscribeRequest, DrainSignal> out) {
        switch (phase) {
            case SERVING -> {
                subscribers.add(out);
                out.writeHead(); // the client's call completes on the headers; signals follow when there are any
            }
            case DRAINING -> {
                subscribers.add(out);
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
        subscribers.forEach(out -> out.write(signal(DrainSignal.Phase.DRAIN_INITIATED)));
        return true;
    }

    /** Ends the drain: DRAIN_COMPLETE to every subscriber. Only the first call after {@link #initiate} acts. */
    synchronized void complete() {
        if (phase != Phase.DRAINING) {
            return;
        }
        phase = Phase.DRAINED;
        subscribers.forEach(out -> out.end(signal(DrainSignal.Phase.DRAIN_COMPLETE)));
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
