package io.spendguard.proxy.sidecar.server;

import io.spendguard.proto.adapter.v1.ResumeAfterApprovalDenied;
import io.spendguard.proto.adapter.v1.ResumeAfterApprovalRequest;
import io.spendguard.proto.adapter.v1.ResumeAfterApprovalResponse;
import io.spendguard.proto.common.v1.Error;
import io.spendguard.proxy.engine.Approval;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.sidecar.Wire;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;

/**
 * {@code ResumeAfterApproval}: turns an approved approval into a reservation of the claim it was
 * raised for. The answer's {@code outcome}:
 * <ul>
 *   <li>{@code decision} — CONTINUE with the reservation; STOP when the budget no longer has room;</li>
 *   <li>{@code denied} — with the approver's reason;</li>
 *   <li>{@code error} whose message starts with {@code [APPROVAL_NON_TERMINAL]} (still pending),
 *       {@code [APPROVAL_EXPIRED]}, {@code [APPROVAL_CONSUMED]} (already used), {@code [APPROVAL_UNKNOWN]}
 *       or {@code [APPROVAL_MISMATCH]}.</li>
 * </ul>
 * The request carries no body hash and no caller: the proxy checks that the resumed call is the
 * approved one and that the caller resuming is the one that asked (by the requester tag in the
 * approval id); a client with access to this socket is trusted to do the same.
 * A resume reserves, so it is refused with UNAVAILABLE {@code "draining"} during a drain.
 */
final class Resumes {
    private final Engine engine;
    private final SidecarServer.Options options;
    private final Decisions decisions;
    private final DrainSignals drains;

    Resumes(Engine engine, SidecarServer.Options options, Decisions decisions, DrainSignals drains) {
        this.engine = engine;
        this.options = options;
        this.decisions = decisions;
        this.drains = drains;
    }

    Future<ResumeAfterApprovalResponse> resume(ResumeAfterApprovalRequest request) {
        options.checkTenant(request.getTenantId());
        String id = request.getApprovalId();
        if (id.isEmpty()) {
            throw Messages.status(GrpcStatus.INVALID_ARGUMENT, "approval_id: missing");
        }
        Approval approval = engine.approvals().get(id).orElse(null);
        if (approval == null) {
            return error(Wire.APPROVAL_UNKNOWN + " approval " + id + " does not exist");
        }
        if (drains.draining()) {
            throw Messages.status(GrpcStatus.UNAVAILABLE, "draining");
        }
        String decisionId = request.getDecisionId().isEmpty() ? approval.decisionId() : request.getDecisionId();
        return engine.decide(new DecisionRequest(decisionId, approval.budgetId(), approval.claimMicros(), approval.model(),
                        null, "", id, null, 0, 0, "", false))
                .map(d -> d.outcome() == Decision.Outcome.REQUIRE_APPROVAL
                        ? errorResponse(Wire.APPROVAL_NON_TERMINAL + " approval " + id + " is pending")
                        : ResumeAfterApprovalResponse.newBuilder().setDecision(decisions.respond(d)).build())
                .recover(e -> refused(e, approval));
    }

    private Future<ResumeAfterApprovalResponse> refused(Throwable e, Approval approval) {
        if (!(e instanceof ProxyException pe)) {
            return Future.failedFuture(e);
        }
        String message = pe.getMessage();
        return switch (pe.error()) {
            case APPROVAL_DENIED -> Future.succeededFuture(ResumeAfterApprovalResponse.newBuilder()
                    .setDenied(ResumeAfterApprovalDenied.newBuilder().setApproverReason(reason(approval.id()))).build());
            case APPROVAL_EXPIRED -> error(Wire.APPROVAL_EXPIRED + " " + message);
            case APPROVAL_CONSUMED -> error(Wire.APPROVAL_CONSUMED + " " + message);
            case APPROVAL_MISMATCH -> error("[APPROVAL_MISMATCH] " + message);
            case UNKNOWN_APPROVAL -> error(Wire.APPROVAL_UNKNOWN + " " + message);
            default -> Decisions.unknownBudget(e, approval.budgetId());
        };
    }

    private String reason(String approvalId) {
        String reason = engine.approvals().get(approvalId).map(Approval::reason).orElse(null);
        return reason == null ? "" : reason;
    }

    private static Future<ResumeAfterApprovalResponse> error(String message) {
        return Future.succeededFuture(errorResponse(message));
    }

    private static ResumeAfterApprovalResponse errorResponse(String message) {
        return ResumeAfterApprovalResponse.newBuilder().setError(Messages.error(Error.Code.CODE_UNSPECIFIED, message)).build();
    }
}
