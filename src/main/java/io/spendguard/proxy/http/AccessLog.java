package io.spendguard.proxy.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
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
     * The line, written field by field with Jackson's streaming generator: building a {@code JsonObject}
     * and encoding it through the object mapper was most of this class's cost per call.
     */
    static String line(Exchange x) {
        StringWriter text = new StringWriter(320);
        Decision d = x.decision();
        try (JsonGenerator g = JSON.createGenerator(text)) {
            g.writeStartObject();
            g.writeStringField("event", "call");
            g.writeStringField("route", x.shape().route());
            g.writeStringField("provider", x.shape().provider().label());
            g.writeStringField("model", x.model());
            g.writeStringField("budget_id", d != null ? d.budgetId() : x.budgetId());
            g.writeStringField("decision", d == null ? null : d.outcome().name());
            g.writeStringField("decision_id", d == null ? null : d.decisionId());
            g.writeStringField("outcome", x.outcome());
            g.writeNumberField("status", x.client().status());
            g.writeNumberField("reserved_usd_micros", d == null ? 0 : d.reservedMicros());
            g.writeNumberField("committed_usd_micros", x.committedMicros());
            g.writeStringField("settlement", x.settledAs());
            g.writeNumberField("duration_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - x.startedNanos()));
            String traceId = Traceparent.traceId(x.headers().get("traceparent"));
            if (traceId != null) {
                g.writeStringField("trace_id", traceId);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }
}
