package io.spendguard.proxy.sidecar.server;

import io.spendguard.proto.adapter.v1.LlmCallPostPayload;
import io.spendguard.proto.adapter.v1.PublishOutcomeRequest;
import io.spendguard.proto.adapter.v1.PublishOutcomeResponse;
import io.spendguard.proto.adapter.v1.ReleaseReservationRequest;
import io.spendguard.proto.adapter.v1.ReleaseReservationResponse;
import io.spendguard.proto.adapter.v1.TraceEvent;
import io.spendguard.proto.adapter.v1.TraceEventAck;
import io.spendguard.proto.common.v1.Error;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.ledger.Ledger.Settled;
import io.spendguard.proxy.ledger.LedgerException;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Settling reservations: the {@code EmitTraceEvents} stream (an {@code llm_call_post} with outcome
 * SUCCESS commits {@code provider_reported_amount_atomic}, else {@code estimated_amount_atomic} —
 * more than the hold is booked as an overrun; PROVIDER_ERROR, CLIENT_TIMEOUT and RUN_ABORTED
 * release), {@code ConfirmPublishOutcome} (APPLY_FAILED releases the decision's hold) and
 * {@code ReleaseReservation}. A reservation settles once: a second settlement, or one for a
 * reservation this ledger does not hold, is a {@code RESERVATION_STATE_CONFLICT}.
 */
final class Settlements {
    private static final Logger LOG = Logger.getLogger(Settlements.class.getName());
    private static final String CONFLICT = "RESERVATION_STATE_CONFLICT";

    private final Engine engine;
    private final SidecarServer.Options options;
    private final Holds holds;
    private final Runnable onSettled;

    /** {@code onSettled} runs after every settlement (a drain waits for the last one). */
    Settlements(Engine engine, SidecarServer.Options options, Holds holds, Runnable onSettled) {
        this.engine = engine;
        this.options = options;
        this.holds = holds;
        this.onSettled = onSettled;
    }

    /**
     * Serves one long-lived trace stream: one ack per event, in the order the events came, however
     * long each settlement takes; reading pauses while the client is slow to take acks. An event
     * without {@code llm_call_post} is acknowledged ACCEPTED with an empty {@code event_id} and
     * otherwise ignored.
     */
    void traceEvents(GrpcServerRequest<TraceEvent, TraceEventAck> call) {
        GrpcServerResponse<TraceEvent, TraceEventAck> out = call.response();
        // each event settles after the one before it, so acks keep event order whatever the ledger's latency
        Future<?>[] tail = {Future.succeededFuture()};
        call.handler(event -> tail[0] = tail[0].transform(prior -> settle(event)).onSuccess(ack -> {
            out.write(ack);
            if (out.writeQueueFull()) {
                call.pause();
                out.drainHandler(v -> call.resume());
            }
        }));
        call.endHandler(v -> tail[0].onComplete(ar -> out.end()));
        call.exceptionHandler(e -> LOG.log(Level.FINE, "trace event stream closed: " + e.getMessage()));
    }

    /** Never fails: every outcome, including a malformed event, is an ack. */
    private Future<TraceEventAck> settle(TraceEvent event) {
        if (!event.hasLlmCallPost()) {
            return Future.succeededFuture(ack("", TraceEventAck.Status.ACCEPTED, null));
        }
        LlmCallPostPayload post = event.getLlmCallPost();
        String id = post.getReservationId();
        if (id.isEmpty()) {
            return rejected(id, Error.Code.CODE_UNSPECIFIED, "llm_call_post.reservation_id: missing");
        }
        if (!post.getUnit().getUnitId().isEmpty() && !options.unitId().equals(post.getUnit().getUnitId())) {
            return rejected(id, Error.Code.UNIT_NORMALIZATION_REQUIRED, "llm_call_post.unit.unit_id: '"
                    + post.getUnit().getUnitId() + "' (expected: '" + options.unitId() + "')");
        }
        Future<Settled> settled;
        switch (post.getOutcome()) {
            case SUCCESS -> {
                boolean reported = !post.getProviderReportedAmountAtomic().isEmpty();
                long amount;
                try {
                    amount = Messages.amount(reported ? "llm_call_post.provider_reported_amount_atomic" : "llm_call_post.estimated_amount_atomic",
                            reported ? post.getProviderReportedAmountAtomic() : post.getEstimatedAmountAtomic());
                } catch (IllegalArgumentException e) {
                    return rejected(id, Error.Code.CODE_UNSPECIFIED, e.getMessage());
                }
                settled = record(id, engine.commit(id, amount), "commit");
            }
            case PROVIDER_ERROR, CLIENT_TIMEOUT, RUN_ABORTED -> settled = record(id, engine.release(id), "release");
            default -> {
                return rejected(id, Error.Code.CODE_UNSPECIFIED, "llm_call_post.outcome: " + post.getOutcome()
                        + " (expected: SUCCESS, PROVIDER_ERROR, CLIENT_TIMEOUT or RUN_ABORTED)");
            }
        }
        return settled.map(s -> ack(id, TraceEventAck.Status.ACCEPTED, null)).recover(e -> {
            if (conflict(e)) {
                return rejected(id, Error.Code.RESERVATION_STATE_CONFLICT, CONFLICT + ": " + e.getMessage());
            }
            LOG.log(Level.WARNING, "settling reservation " + id + " failed", e);
            return rejected(id, Error.Code.CODE_UNSPECIFIED, "settlement failed: " + e.getMessage());
        });
    }

    Future<PublishOutcomeResponse> confirmOutcome(PublishOutcomeRequest request) {
        if (request.getDecisionId().isEmpty()) {
            throw Messages.status(GrpcStatus.INVALID_ARGUMENT, "decision_id: missing");
        }
        Future<Void> done = Future.succeededFuture();
        String held = holds.reservationOf(request.getDecisionId()).orElse(null);
        if (request.getOutcome() == PublishOutcomeRequest.Outcome.APPLY_FAILED && held != null) {
            // the reservation may have been settled meanwhile: then there is nothing left to release
            done = record(held, engine.release(held), "release").<Void>mapEmpty()
                    .recover(e -> conflict(e) ? Future.succeededFuture() : Future.failedFuture(e));
        }
        return done.map(v -> PublishOutcomeResponse.newBuilder()
                .setAuditOutcomeEventId("out_" + UUID.randomUUID())
                .setRecordedAt(Messages.timestamp(options.clock().instant()))
                .build());
    }

    Future<ReleaseReservationResponse> release(ReleaseReservationRequest request) {
        options.checkTenant(request.getTenantId());
        String id = request.getReservationId();
        if (id.isEmpty()) {
            throw Messages.status(GrpcStatus.INVALID_ARGUMENT, "reservation_id: missing");
        }
        return record(id, engine.release(id), "release")
                .map(s -> ReleaseReservationResponse.newBuilder().addReleasedReservationIds(id).build())
                .recover(e -> Future.failedFuture(conflict(e) ? Messages.status(GrpcStatus.FAILED_PRECONDITION, CONFLICT + ": " + e.getMessage()) : e));
    }

    /** Bookkeeping for a settlement of reservation {@code id}: metrics, and the hold is gone unless the ledger failed. */
    private Future<Settled> record(String id, Future<Settled> settlement, String kind) {
        return settlement.andThen(ar -> {
            if (ar.succeeded()) {
                Settled s = ar.result();
                options.metrics().settled(kind);
                options.metrics().released(s.releasedMicros());
                options.metrics().overrun(s.overrunMicros());
                if (s.budget() != null) {
                    options.metrics().budget(s.budget().spec().id(), s.budget().spec().limitMicros(), s.budget().remainingMicros());
                }
            } else {
                options.metrics().settlementFailure(kind);
            }
            if (ar.succeeded() || conflict(ar.cause())) {
                holds.settled(id);
                onSettled.run();
            }
        });
    }

    private static boolean conflict(Throwable e) {
        return e instanceof LedgerException le
                && (le.kind() == LedgerException.Kind.RESERVATION_STATE_CONFLICT || le.kind() == LedgerException.Kind.UNKNOWN_RESERVATION);
    }

    private static Future<TraceEventAck> rejected(String id, Error.Code code, String message) {
        return Future.succeededFuture(ack(id, TraceEventAck.Status.REJECTED, Messages.error(code, message)));
    }

    private static TraceEventAck ack(String id, TraceEventAck.Status status, Error error) {
        TraceEventAck.Builder b = TraceEventAck.newBuilder().setEventId(id).setStatus(status);
        if (error != null) {
            b.setError(error);
        }
        return b.build();
    }
}
