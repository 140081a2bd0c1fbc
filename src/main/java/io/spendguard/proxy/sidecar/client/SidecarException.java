package io.spendguard.proxy.sidecar.client;

import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.sidecar.Wire;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcErrorException;
import io.vertx.grpc.common.GrpcStatus;
import java.util.Locale;

/**
 * A sidecar call that did not produce an answer, with the bounded metric label of why. Transient
 * failures (unreachable, UNAVAILABLE, DEADLINE_EXCEEDED) leave the decision to the configured fail
 * mode; any other failure means the sidecar answered and cannot be trusted with this call. Stackless:
 * the cause is in the message, not in a trace.
 */
final class SidecarException extends RuntimeException {
    private final String reason;
    private final GrpcStatus status;
    private final Decision held;

    private SidecarException(String reason, GrpcStatus status, String message) {
        this(reason, status, message, null);
    }

    private SidecarException(String reason, GrpcStatus status, String message, Decision held) {
        super(message, null, false, false);
        this.reason = reason;
        this.status = status;
        this.held = held;
    }

    /** Classifies whatever a gRPC call failed with. */
    static SidecarException of(Throwable e) {
        if (e instanceof SidecarException s) {
            return s;
        }
        if (e instanceof InvalidStatusException s) {
            return status(s.actualStatus(), "");
        }
        if (e instanceof GrpcErrorException g) {
            return status(g.status(), g.getMessage());
        }
        return new SidecarException("unavailable", null, "sidecar unreachable: " + e);
    }

    /** The sidecar ended a call with a non-OK gRPC status. */
    static SidecarException status(GrpcStatus status, String message) {
        String reason = switch (status) {
            case UNAVAILABLE -> "unavailable";
            case DEADLINE_EXCEEDED -> "deadline_exceeded";
            default -> "status_" + status.name().toLowerCase(Locale.ROOT);
        };
        return new SidecarException(reason, status, "sidecar answered " + status.name()
                + (message == null || message.isEmpty() ? "" : ": " + message));
    }

    /** The sidecar answered with something the protocol does not allow (e.g. DECISION_UNSPECIFIED). */
    static SidecarException protocol(String reason, String message) {
        return new SidecarException(reason, GrpcStatus.OK, message);
    }

    /**
     * A DEGRADE whose mutation the proxy cannot apply: the call is refused rather than forwarded
     * unchanged, and {@code held} (the reservation the sidecar made for it) must be released.
     */
    static SidecarException unusableDegrade(String message, Decision held) {
        return new SidecarException("unusable_degrade", GrpcStatus.OK, message, held);
    }

    /** The reservation the sidecar made for a call this failure refuses (null when none). */
    Decision held() {
        return held;
    }

    /** No session: the first handshake has not succeeded yet, or a reconnect is in progress. */
    static SidecarException notConnected(String socket) {
        return new SidecarException("not_connected", null, "no session with the sidecar at " + socket + " (reconnecting)");
    }

    /** The metric label: {@code unavailable}, {@code deadline_exceeded}, {@code status_<code>} or a protocol reason. */
    String reason() {
        return reason;
    }

    /** True when the configured fail mode decides (the sidecar was not reached or did not answer in time). */
    boolean isTransient() {
        return status == null || status == GrpcStatus.UNAVAILABLE || status == GrpcStatus.DEADLINE_EXCEEDED;
    }

    /** True when the connection is suspect and a new handshake is due. */
    boolean connectionLost() {
        return "unavailable".equals(reason);
    }

    /** The sidecar refused the call's budget: it belongs to another tenant than the virtual key's. */
    boolean budgetForbidden() {
        return status == GrpcStatus.PERMISSION_DENIED && getMessage().contains(Wire.BUDGET_FORBIDDEN);
    }

    /** The sidecar refused a repeated idempotency key carrying a different request. */
    boolean idempotencyConflict() {
        return status == GrpcStatus.FAILED_PRECONDITION && getMessage().contains(Wire.IDEMPOTENCY_CONFLICT);
    }
}
