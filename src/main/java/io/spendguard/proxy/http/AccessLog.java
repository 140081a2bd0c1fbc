package io.spendguard.proxy.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.gate.Traceparent;
import io.spendguard.proxy.pipeline.Exchange;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
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
    private static final JsonFactory JSON = new JsonFactory();
    private static final JsonStringEncoder QUOTE = JsonStringEncoder.getInstance();

    private AccessLog() { }

    /** The access logger itself (held here: java.util.logging keeps only weak references to loggers). */
    public static Logger logger() {
        return LOG;
    }

    /** Logs the call {@code x} once it is over. */
    public static void log(Exchange x) {
        if (LOG.isLoggable(java.util.logging.Level.INFO)) {
            LOG.info(line(x));
        }
    }

    /**
     * Logs a request refused before it became a call (bad target, unknown route, wrong method): no
     * path, header or body goes into the line, only the bounded route label and the outcome.
     */
    public static void refused(HttpServerRequest request, String route, String outcome, long startedNanos) {
        if (!LOG.isLoggable(java.util.logging.Level.INFO)) {
            return;
        }
        StringWriter text = new StringWriter(160);
        try (JsonGenerator g = JSON.createGenerator(text)) {
            g.writeStartObject();
            g.writeStringField("event", "refused");
            g.writeStringField("route", route);
            String method = request.method().name();
            g.writeStringField("method", method.length() <= 16 && method.chars().allMatch(c -> c >= 'A' && c <= 'Z') ? method : "OTHER");
            g.writeStringField("outcome", outcome);
            g.writeNumberField("status", request.response().getStatusCode());
            g.writeNumberField("duration_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos));
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LOG.info(text.toString());
    }

    /**
     * The line, appended field by field to one builder, strings quoted by Jackson's encoder: a
     * {@code JsonObject} through the object mapper, and later a generator on a {@code StringWriter},
     * were most of this class's cost per call.
     */
    static String line(Exchange x) {
        Decision d = x.decision();
        StringBuilder out = new StringBuilder(320).append("{\"event\":\"call\"");
        string(out, "route", x.shape().route());
        string(out, "provider", x.shape().provider().label());
        string(out, "model", x.model());
        string(out, "budget_id", d != null ? d.budgetId() : x.budgetId());
        string(out, "decision", d == null ? null : d.outcome().name());
        string(out, "decision_id", d == null ? null : d.decisionId());
        string(out, "outcome", x.outcome());
        number(out, "status", x.client().status());
        number(out, "reserved_usd_micros", d == null ? 0 : d.reservedMicros());
        number(out, "committed_usd_micros", x.committedMicros());
        string(out, "settlement", x.settledAs());
        number(out, "duration_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - x.startedNanos()));
        String traceId = Traceparent.traceId(x.headers().get("traceparent"));
        if (traceId != null) {
            string(out, "trace_id", traceId);
        }
        return out.append('}').toString();
    }

    private static void string(StringBuilder out, String name, String value) {
        out.append(",\"").append(name).append("\":");
        if (value == null) {
            out.append("null");
        } else {
            QUOTE.quoteAsString(value, out.append('"'));
            out.append('"');
        }
    }

    private static void number(StringBuilder out, String name, long value) {
        out.append(",\"").append(name).append("\":").append(value);
    }
}
