package io.spendguard.proxy.pipeline.stages;

import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.ledger.RunLimit;
import io.vertx.core.MultiMap;
import java.util.List;

/**
 * The client's SpendGuard headers that are kept — in decisions, audit records, the sidecar's
 * messages, error bodies — bounded before anything reads them: a run id longer than
 * {@value #MAX_RUN_ID_BYTES} bytes (SPEC §10), or another id longer than {@value #MAX_ID_CHARS}
 * characters, is refused with 400 naming the header (the idempotency key has the same bound where it
 * is read); a {@code tracestate} longer than the
 * {@value #MAX_TRACESTATE_CHARS} characters W3C Trace Context asks to propagate is not passed on
 * (trace headers are ignored when malformed, never an error).
 */
final class CallHeaders {
    static final int MAX_ID_CHARS = 256;
    static final int MAX_RUN_ID_BYTES = RunLimit.MAX_ID_BYTES;
    static final int MAX_TRACESTATE_CHARS = 512;
    static final String RUN_ID = "X-SpendGuard-Run-Id";
    private static final List<String> IDS = List.of("X-SpendGuard-Approval-Id", "X-SpendGuard-Budget-Id");

    private CallHeaders() { }

    /** Refuses a call whose kept id headers are too long. */
    static void check(MultiMap headers) {
        String run = headers.get(RUN_ID);
        if (run != null && bytes(run) > MAX_RUN_ID_BYTES) {
            throw ProxyError.INVALID_REQUEST.exception("The " + RUN_ID + " header is longer than " + MAX_RUN_ID_BYTES + " bytes.")
                    .param(RUN_ID);
        }
        for (String name : IDS) {
            String value = headers.get(name);
            if (value != null && value.length() > MAX_ID_CHARS) {
                throw ProxyError.INVALID_REQUEST.exception("The " + name + " header is longer than " + MAX_ID_CHARS + " characters.")
                        .param(name);
            }
        }
    }

    /**
     * The bytes of a header value as the client sent them. A value read off the wire holds one char
     * per byte (ISO-8859-1), so a UTF-8 id of n bytes is n chars; a char past that range (a value
     * not read off the wire) counts as its UTF-8 bytes.
     */
    static int bytes(String value) {
        int n = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c <= 0xFF) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** The client's {@code tracestate}, or null when absent or longer than W3C's propagation limit. */
    static String tracestate(MultiMap headers) {
        String value = headers.get("tracestate");
        return value == null || value.length() > MAX_TRACESTATE_CHARS ? null : value;
    }
}
