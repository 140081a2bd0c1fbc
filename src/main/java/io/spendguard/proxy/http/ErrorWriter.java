package io.spendguard.proxy.http;

import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.vertx.core.Future;
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
        HttpServerResponse out = request.response();
        if (out.ended() || out.closed()) {
            // Already answered (e.g. a body timeout), or the client has gone: nothing to write, nothing unexpected.
            return (failure instanceof ProxyException pe ? pe.error() : ProxyError.CLIENT_CLOSED).label();
        }
        ProxyException e = failure instanceof ProxyException pe ? pe : internal(failure);
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
        // A refusal before the body is in (a 401 before reading it, a 413, a 415): the rest is not read.
        boolean unread = bodyPending(request);
        if (unread) {
            out.putHeader("connection", "close");
        }
        Future<Void> written = out.end(body.toBuffer());
        if (unread && e.error() == ProxyError.REQUEST_TIMEOUT) {
            written.onComplete(v -> request.connection().close());
        } else if (unread) {
            lingeringClose(request);
        }
        return e.error().label();
    }

    /**
     * After refusing a body that is still arriving, discard the rest and close once it ends (or after
     * {@link #LINGER_MS}): closing at once would reset a client that is still writing before it reads
     * the refusal. A client too slow to send its body at all (408) is not waited for.
     */
    private static void lingeringClose(HttpServerRequest request) {
        request.handler(ignored -> { });
        request.endHandler(v -> request.connection().close());
        Vertx.currentContext().owner().setTimer(LINGER_MS, t -> request.connection().close());
    }

    /** True while an HTTP/1.x request still has body bytes to come. */
    private static boolean bodyPending(HttpServerRequest request) {
        if (request.isEnded() || request.version() == HttpVersion.HTTP_2) {
            return false;
        }
        String length = request.getHeader("content-length");
        return request.headers().contains("transfer-encoding") || (length != null && !length.trim().equals("0"));
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
