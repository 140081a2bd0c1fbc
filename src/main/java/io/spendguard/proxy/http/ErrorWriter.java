package io.spendguard.proxy.http;

import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Writes every error the proxy answers itself, in the provider's own error shape so SDKs surface
 * the message: OpenAI's {@code {"error":{message,type,code,param,spendguard}}} or Anthropic's
 * {@code {"type":"error","error":{type,message,spendguard}}}. Once a reply has started, an error can
 * only cut the connection.
 */
public final class ErrorWriter {
    private static final Logger LOG = Logger.getLogger(ErrorWriter.class.getName());
    private static final long LINGER_MS = 1_000;

    private ErrorWriter() { }

    /** Answers {@code failure}; returns the metric outcome label. */
    public static String write(HttpServerRequest request, boolean anthropicShape, Throwable failure) {
        ProxyException e = failure instanceof ProxyException pe ? pe : internal(failure);
        HttpServerResponse out = request.response();
        if (out.ended() || out.closed()) {
            return e.error().label();
        }
        if (out.headWritten()) {
            out.reset();
            return e.error().label();
        }
        JsonObject body = anthropicShape ? anthropic(e) : openai(e);
        out.setStatusCode(e.error().status()).putHeader("content-type", "application/json");
        if (e.error().status() < 500 && e.error() != ProxyError.IDEMPOTENCY_IN_FLIGHT) {
            // SDKs retry 409 (and some 4xx) by default; a refusal stays a refusal until something changes.
            out.putHeader("x-should-retry", "false");
        }
        e.headers().forEach(out::putHeader);
        boolean linger = e.error() == ProxyError.REQUEST_TOO_LARGE && !request.isEnded() && request.version() != HttpVersion.HTTP_2;
        if (linger) {
            out.putHeader("connection", "close");
        }
        out.end(body.toBuffer());
        if (linger) {
            lingeringClose(request);
        }
        return e.error().label();
    }

    /**
     * After refusing a body that is still arriving, discard the rest and close once it ends (or after
     * {@link #LINGER_MS}): closing at once would reset a client that is still writing before it reads
     * the 413.
     */
    private static void lingeringClose(HttpServerRequest request) {
        request.handler(ignored -> { });
        request.endHandler(v -> request.connection().close());
        Vertx.currentContext().owner().setTimer(LINGER_MS, t -> request.connection().close());
    }

    private static ProxyException internal(Throwable failure) {
        LOG.log(Level.WARNING, "unexpected failure handling a request", failure);
        return ProxyError.INTERNAL.exception("The proxy failed to handle this request.");
    }

    static JsonObject openai(ProxyException e) {
        JsonObject error = new JsonObject()
                .put("message", e.getMessage())
                .put("type", e.error().type())
                .put("code", e.code())
                .put("param", e.param());
        if (e.detail() != null) {
            error.put("spendguard", e.detail());
        }
        return new JsonObject().put("error", error);
    }

    static JsonObject anthropic(ProxyException e) {
        JsonObject error = new JsonObject().put("type", e.error().type()).put("message", e.getMessage());
        if (e.detail() != null) {
            error.put("spendguard", e.detail());
        }
        return new JsonObject().put("type", "error").put("error", error);
    }
}
