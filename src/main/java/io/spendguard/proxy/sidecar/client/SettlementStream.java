package io.spendguard.proxy.sidecar.client;

import io.spendguard.proto.adapter.v1.PublishOutcomeRequest;
import io.spendguard.proto.adapter.v1.PublishOutcomeResponse;
import io.spendguard.proto.adapter.v1.SidecarAdapterGrpcClient;
import io.spendguard.proto.adapter.v1.TraceEvent;
import io.spendguard.proto.adapter.v1.TraceEventAck;
import io.spendguard.proto.common.v1.Error.Code;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.sidecar.Loop;
import io.spendguard.proxy.sidecar.client.SidecarSession.Session;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.client.GrpcClientRequest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

/**
 * Commits and releases on one long-lived {@code EmitTraceEvents} stream per session. The sidecar acks
 * events in the order they were sent, so each stream keeps a FIFO of events awaiting their ack. Every
 * ack is read: ACCEPTED settles (then {@code ConfirmPublishOutcome(APPLIED)}, fire-and-forget); a
 * REJECTED ack or an error is retried with back-off ({@link #BACKOFF_MS}), each retry counted, and the
 * settlement fails when the retries run out or {@link #DEADLINE_MS} passes — never reported as done.
 * When a stream breaks, its unacknowledged events are sent again on the next session's stream; a
 * RESERVATION_STATE_CONFLICT then means the unacknowledged send had landed. Runs on its connection's
 * event loop: a settlement made there is sent, acknowledged and reported without leaving it.
 */
final class SettlementStream {
    private static final Logger LOG = Logger.getLogger(SettlementStream.class.getName());
    static final long[] BACKOFF_MS = {50, 100, 200};
    static final long DEADLINE_MS = 3_000;
    private static final long CONFIRM_DEADLINE_MS = 5_000;

    /** One settlement on its way: sent, waiting for a stream, or waiting for a retry. */
    private static final class Pending {
        final String kind;
        final TraceEvent event;
        final Promise<Void> done = Promise.promise();
        int rejections;
        boolean unacked;
        long timer;

        Pending(String kind, TraceEvent event) {
            this.kind = kind;
            this.event = event;
        }

        String reservationId() {
            return event.getLlmCallPost().getReservationId();
        }
    }

    /** One stream and the events it owes acks for, oldest first. */
    private record Channel(Session session, GrpcClientRequest<TraceEvent, TraceEventAck> request, ArrayDeque<Pending> inflight) { }

    private final Vertx vertx;
    private final Loop loop;
    private final SidecarRpc rpc;
    private final ProxyMetrics metrics;
    private final BiConsumer<Session, Throwable> lost;
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private final Set<Future<?>> confirming = new HashSet<>();
    private Session latest;
    private Channel channel;
    private boolean closed;

    SettlementStream(Vertx vertx, Loop loop, SidecarRpc rpc, ProxyMetrics metrics, BiConsumer<Session, Throwable> lost) {
        this.vertx = vertx;
        this.loop = loop;
        this.rpc = rpc;
        this.metrics = metrics;
        this.lost = lost;
    }

    /**
     * Sends one settlement; the future completes once the sidecar accepted it, on the caller's context
     * (a caller on this stream's loop — the usual one — is answered on it without a hop).
     */
    Future<Void> settle(String kind, TraceEvent event) {
        if (loop.here()) {
            return begin(kind, event);
        }
        Context caller = vertx.getOrCreateContext();
        Promise<Void> result = Promise.promise();
        loop.run(() -> begin(kind, event).onComplete(ar -> caller.runOnContext(x -> result.handle(ar))));
        return result.future();
    }

    private Future<Void> begin(String kind, TraceEvent event) {
        Pending p = new Pending(kind, event);
        if (closed) {
            p.done.fail(new IllegalStateException("the sidecar gate is closed"));
            return p.done.future();
        }
        p.timer = vertx.setTimer(DEADLINE_MS, id -> fail(p, "not acknowledged within " + DEADLINE_MS + " ms"));
        send(p);
        return p.done.future();
    }

    /** Opens the stream of a new session (on this stream's loop) and sends what was waiting. */
    void open(Session session) {
        latest = session;
        requeue();
        rpc.stream(SidecarAdapterGrpcClient.EmitTraceEvents).onComplete(ar -> {
            if (ar.failed()) {
                lost.accept(session, ar.cause());
                return;
            }
            Channel c = new Channel(session, ar.result(), new ArrayDeque<>());
            if (closed || latest != session) {
                c.request().cancel();
                return;
            }
            channel = c;
            c.request().exceptionHandler(e -> broken(c, e));
            c.request().response().onComplete(rar -> {
                if (rar.failed()) {
                    broken(c, rar.cause());
                    return;
                }
                rar.result().handler(ack -> acked(c, ack));
                rar.result().exceptionHandler(e -> broken(c, e));
                rar.result().endHandler(x -> broken(c, new IllegalStateException(
                        "the settlement stream ended (" + rar.result().status() + ")")));
            });
            List<Pending> ready = new ArrayList<>(waiting);
            waiting.clear();
            ready.forEach(this::send);
        });
    }

    private void send(Pending p) {
        if (p.done.future().isComplete()) {
            return;
        }
        if (closed) {
            fail(p, "abandoned: the sidecar gate closed");
            return;
        }
        Channel c = channel;
        if (c == null) {
            waiting.add(p);
            return;
        }
        c.inflight().add(p);
        c.request().write(p.event.toBuilder().setSessionId(c.session().id()).build()).onFailure(e -> broken(c, e));
    }

    private void acked(Channel c, TraceEventAck ack) {
        Pending p = c.inflight().poll();
        if (p == null) {
            LOG.warning("the sidecar acked event " + ack.getEventId() + " that was not sent; ignored");
            return;
        }
        if (!ack.getEventId().isEmpty() && !ack.getEventId().equals(p.reservationId())) {
            LOG.warning("ack for " + ack.getEventId() + " arrived where " + p.reservationId() + " was expected");
        }
        if (p.done.future().isComplete()) {
            return;
        }
        boolean conflict = ack.hasError() && ack.getError().getCode() == Code.RESERVATION_STATE_CONFLICT;
        if ((ack.getStatus() == TraceEventAck.Status.ACCEPTED && !ack.hasError()) || (conflict && p.unacked)) {
            vertx.cancelTimer(p.timer);
            p.done.complete();
            confirm(c.session(), p);
        } else if (conflict || p.rejections >= BACKOFF_MS.length) {
            fail(p, "rejected (" + ack.getStatus() + (ack.hasError() ? ", " + ack.getError().getCode() + ": "
                    + ack.getError().getMessage() : "") + ") after " + (p.rejections + 1) + " attempts");
        } else {
            metrics.settlementRetry(p.kind);
            vertx.setTimer(BACKOFF_MS[p.rejections++], id -> send(p));
        }
    }

    private void confirm(Session s, Pending p) {
        PublishOutcomeRequest request = PublishOutcomeRequest.newBuilder()
                .setSessionId(s.id())
                .setDecisionId(p.event.getIds().getDecisionId())
                .setOutcome(PublishOutcomeRequest.Outcome.APPLIED)
                .build();
        Future<PublishOutcomeResponse> sent = rpc.unary(SidecarAdapterGrpcClient.ConfirmPublishOutcome, request, CONFIRM_DEADLINE_MS);
        confirming.add(sent);
        sent.onComplete(ar -> {
            confirming.remove(sent);
            if (ar.failed() || ar.result().hasError()) {
                LOG.warning("ConfirmPublishOutcome for decision " + request.getDecisionId() + " failed: "
                        + (ar.failed() ? ar.cause().getMessage() : ar.result().getError().getMessage()));
            }
        });
    }

    /** The stream is gone: its unacknowledged events wait for the next session's stream. */
    private void broken(Channel c, Throwable cause) {
        if (channel != c) {
            return;
        }
        requeue();
        lost.accept(c.session(), cause);
    }

    /** Moves the current stream's unacknowledged events (oldest first) ahead of the waiting ones. */
    private void requeue() {
        Channel c = channel;
        channel = null;
        if (c == null) {
            return;
        }
        c.request().cancel();
        for (Pending p = c.inflight().pollLast(); p != null; p = c.inflight().pollLast()) {
            if (!p.done.future().isComplete()) {
                p.unacked = true;
                metrics.settlementRetry(p.kind);
                waiting.addFirst(p);
            }
        }
    }

    private void fail(Pending p, String why) {
        if (p.done.future().isComplete()) {
            return;
        }
        vertx.cancelTimer(p.timer);
        waiting.remove(p);
        p.done.fail(new IllegalStateException("settlement of reservation " + p.reservationId() + " " + why));
    }

    /** Fails what is still waiting, stops sending, and lets confirmations already sent finish. */
    Future<Void> close() {
        Promise<Void> done = Promise.promise();
        loop.run(() -> {
            closed = true;
            requeue();
            new ArrayList<>(waiting).forEach(p -> fail(p, "abandoned: the sidecar gate closed"));
            Future.join(new ArrayList<>(confirming)).onComplete(ar -> done.complete());
        });
        return done.future();
    }
}
