package io.spendguard.proxy.gate;

import java.util.regex.Pattern;

/**
 * The W3C Trace Context {@code traceparent} header ({@code 00-<trace id>-<parent id>-<flags>}):
 * forwarded upstream untouched like any end-to-end header, read here for the access log and the
 * sidecar's {@code DecisionRequest.trace}. A malformed value is ignored, never an error.
 */
public final class Traceparent {
    private static final Pattern FORMAT = Pattern.compile("[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");

    private Traceparent() { }

    /** The trace id of a valid header, else null. */
    public static String traceId(String header) {
        return valid(header) ? header.substring(3, 35) : null;
    }

    /** The caller's span id (the header's parent id) of a valid header, else null. */
    public static String parentId(String header) {
        return valid(header) ? header.substring(36, 52) : null;
    }

    private static boolean valid(String header) {
        return header != null && FORMAT.matcher(header).matches() && !header.startsWith("ff")
                && !header.substring(3, 35).equals("0".repeat(32)) && !header.substring(36, 52).equals("0".repeat(16));
    }
}
