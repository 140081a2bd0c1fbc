package io.spendguard.proxy.error;

/**
 * Every error the proxy itself answers with: its HTTP status, the OpenAI-style {@code error.type},
 * the stable {@code error.code} and the metric label for {@code outcome}. A provider's own 4xx/5xx is
 * not one of these: it passes through untouched.
 */
public enum ProxyError {
    INVALID_REQUEST(400, "invalid_request_error", "invalid_request", "invalid"),
    INVALID_TARGET(400, "invalid_request_error", "invalid_request_target", "invalid_target"),
    UNPRICED_MODEL(400, "invalid_request_error", "unpriced_model", "unpriced"),
    UNKNOWN_BUDGET(400, "invalid_request_error", "unknown_budget", "invalid"),
    UNAUTHENTICATED(401, "authentication_error", "invalid_api_key", "unauthenticated"),
    BUDGET_EXCEEDED(402, "budget_exceeded", "BUDGET_EXHAUSTED", "stopped"),
    BUDGET_HEADER_NOT_TRUSTED(403, "permission_error", "budget_header_not_trusted", "forbidden"),
    BUDGET_FORBIDDEN(403, "permission_error", "budget_forbidden", "forbidden"),
    APPROVAL_DENIED(403, "permission_error", "approval_denied", "approval_denied"),
    APPROVAL_EXPIRED(403, "permission_error", "approval_expired", "approval_expired"),
    APPROVAL_FORBIDDEN(403, "permission_error", "approval_forbidden", "forbidden"),
    NOT_FOUND(404, "invalid_request_error", "unknown_route", "not_found"),
    METHOD_NOT_ALLOWED(405, "invalid_request_error", "method_not_allowed", "not_found"),
    APPROVAL_REQUIRED(409, "approval_required", "APPROVAL_REQUIRED", "approval_required"),
    APPROVAL_MISMATCH(409, "approval_mismatch", "approval_mismatch", "approval_mismatch"),
    APPROVAL_CONSUMED(409, "approval_consumed", "approval_consumed", "approval_consumed"),
    UNKNOWN_APPROVAL(404, "invalid_request_error", "unknown_approval", "invalid"),
    IDEMPOTENCY_IN_FLIGHT(409, "idempotency_error", "idempotency_in_flight", "idempotency"),
    IDEMPOTENCY_CONFLICT(409, "idempotency_error", "idempotency_conflict", "idempotency"),
    REQUEST_TIMEOUT(408, "invalid_request_error", "request_timeout", "request_timeout"),
    REQUEST_TOO_LARGE(413, "request_too_large", "request_too_large", "too_large"),
    TARGET_TOO_LONG(414, "invalid_request_error", "request_target_too_long", "too_large"),
    HEADERS_TOO_LARGE(431, "invalid_request_error", "request_headers_too_large", "too_large"),
    UNSUPPORTED_CONTENT_ENCODING(415, "invalid_request_error", "unsupported_content_encoding", "unsupported_encoding"),
    CLIENT_CLOSED(499, "client_closed", "client_closed", "client_disconnect"),
    UPSTREAM_UNREACHABLE(502, "upstream_error", "upstream_unreachable", "upstream_error"),
    UPSTREAM_TIMEOUT(504, "upstream_error", "upstream_timeout", "upstream_timeout"),
    GATE_UNAVAILABLE(503, "spendguard_unavailable", "spendguard_unavailable", "gate_unavailable"),
    DRAINING(503, "spendguard_unavailable", "draining", "draining"),
    OVERLOADED(503, "spendguard_unavailable", "overloaded", "overloaded"),
    INTERNAL(500, "internal_error", "internal_error", "internal");

    private final int status;
    private final String type;
    private final String code;
    private final String label;

    ProxyError(int status, String type, String code, String label) {
        this.status = status;
        this.type = type;
        this.code = code;
        this.label = label;
    }

    public int status() { return status; }

    public String type() { return type; }

    public String code() { return code; }

    /** The bounded {@code outcome} label for metrics. */
    public String label() { return label; }

    /** A stackless exception carrying this error and a message safe to show the client. */
    public ProxyException exception(String message) {
        return new ProxyException(this, message);
    }
}
