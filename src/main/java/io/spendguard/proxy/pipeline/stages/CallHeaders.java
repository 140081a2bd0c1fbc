package io.spendguard.proxy.pipeline.stages;

import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.ledger.RunLimit;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The client's SpendGuard headers that are kept — in decisions, audit records, the sidecar's
 * messages, error bodies — bounded before anything reads them: an id longer than
 * {@value #MAX_ID_CHARS} characters is refused with 400 naming the header (the idempotency key has
 * the same bound where it is read), a run id longer than {@value RunLimit#MAX_ID_CHARS} bytes likewise; a {@code tracestate} longer than the
 * {@value #MAX_TRACESTATE_CHARS} characters W3C Trace Context asks to propagate is not passed on
 * (trace headers are ignored when malformed, never an error).
 */
final class CallHeaders {
    static final int MAX_ID_CHARS = 256;
    static final int MAX_TRACESTATE_CHARS = 512;
    static final String RUN_ID = "X-SpendGuard-Run-Id";
    private static final List<String> IDS = List.of(RUN_ID, "X-SpendGuard-Approval-Id", "X-SpendGuard-Budget-Id");

    private CallHeaders() { }

    /** Refuses a call whose kept id headers are too long. */
    static void check(MultiMap headers) {
        for (String name : IDS) {
            String value = headers.get(name);
            if (value != null && value.length() > MAX_ID_CHARS) {
                throw ProxyError.INVALID_REQUEST.exception("The " + name + " header is longer than " + MAX_ID_CHARS + " characters.")
                        .param(name);
            }
        }
        String run = headers.get(RUN_ID);
        if (run != null && run.getBytes(StandardCharsets.UTF_8).length > RunLimit.MAX_ID_CHARS) {
            throw ProxyError.INVALID_REQUEST.exception("The " + RUN_ID + " header is longer than " + RunLimit.MAX_ID_CHARS + " bytes.")
                    .param(RUN_ID);
        }
    }

    /** The client's {@code tracestate}, or null when absent or longer than W3C's propagation limit. */
    static String tracestate(MultiMap headers) {
        String value = headers.get("tracestate");
        return value == null || value.length() > MAX_TRACESTATE_CHARS ? null : value;
    }
}
