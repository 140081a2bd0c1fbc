package io.spendguard.proxy.http;

import io.spendguard.proxy.gate.Traceparent;
import io.spendguard.proxy.pipeline.Exchange;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One structured JSON line per model call on the {@code spendguard.access} logger: route, model,
 * budget, decision, status, reserved and committed µUSD, duration, decision id and trace id. It
 * never carries a header value other than the trace id, nor any part of the body: no key, no prompt.
 */
public final class AccessLog {
    public static final String LOGGER = "spendguard.access";
    private static final Logger LOG = Logger.getLogger(LOGGER);

    private AccessLog() { }

    /** The access logger itself (held here: java.util.logging keeps only weak references to loggers). */
    public static Logger logger() {
        return LOG;
    }

    /** Logs the call {@code x} that ended with {@code outcome}. */
    public static void log(Exchange x, String outcome) {
        if (LOG.isLoggable(java.util.logging.Level.INFO)) {
            LOG.info(line(x, outcome).encode());
        }
    }

    static JsonObject line(Exchange x, String outcome) {
        JsonObject line = new JsonObject()
                .put("event", "call")
                .put("route", x.shape().route())
                .put("provider", x.shape().provider())
                .put("model", x.model())
                .put("budget_id", x.decision() != null ? x.decision().budgetId() : x.budgetId())
                .put("decision", x.decision() == null ? null : x.decision().outcome().name())
                .put("decision_id", x.decision() == null ? null : x.decision().decisionId())
                .put("outcome", outcome)
                .put("status", x.request().response().getStatusCode())
                .put("reserved_usd_micros", x.decision() == null ? 0 : x.decision().reservedMicros())
                .put("committed_usd_micros", x.committedMicros())
                .put("settlement", x.settledAs())
                .put("duration_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - x.startedNanos()));
        String traceId = Traceparent.traceId(x.request().getHeader("traceparent"));
        return traceId == null ? line : line.put("trace_id", traceId);
    }
}
