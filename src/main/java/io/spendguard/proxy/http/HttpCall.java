package io.spendguard.proxy.http;

import io.spendguard.proxy.ledger.IdempotencyStore.Reply;
import io.spendguard.proxy.forward.Downstream;
import io.spendguard.proxy.pipeline.Client;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * One gated call as the HTTP server holds it: the pipeline's {@link Client} (body in, replay or error
 * out) and the relay's {@link Downstream} (the provider's reply out), over the server's request and
 * response, which nothing outside {@code http/} touches.
 */
final class HttpCall implements Client, Downstream {
    private final HttpServerRequest request;
    private final HttpServerResponse out;
    private final BodyReader bodies;
    private final boolean anthropicShape;

    HttpCall(HttpServerRequest request, BodyReader bodies, boolean anthropicShape) {
        this.request = request;
        this.out = request.response();
        this.bodies = bodies;
        this.anthropicShape = anthropicShape;
    }

    @Override
    public Future<Buffer> readBody() {
        return bodies.read(request);
    }

    @Override
    public Downstream reply() {
        return this;
    }

    @Override
    public Future<Void> replay(Reply stored) {
        out.setStatusCode(stored.status());
        out.headers().addAll(stored.headers()).set("X-SpendGuard-Idempotent-Replay", "true");
        return out.end(stored.body());
    }

    @Override
    public String refuse(Throwable failure) {
        return ErrorWriter.write(request, anthropicShape, failure);
    }

    @Override
    public int status() {
        return out.getStatusCode();
    }

    @Override
    public void head(int status, String message, MultiMap headers) {
        out.setStatusCode(status);
        out.setStatusMessage(message);
        out.headers().addAll(headers);
    }

    @Override
    public MultiMap headers() {
        return out.headers();
    }

    @Override
    public void framing(String contentLength) {
        frame(out, contentLength);
    }

    /** Frames {@code out}'s body with {@code contentLength}, or chunked when it is null. */
    static void frame(HttpServerResponse out, String contentLength) {
        if (contentLength != null) {
            out.putHeader("content-length", contentLength);
        } else {
            out.setChunked(true);
        }
    }

    @Override
    public Future<Void> write(Buffer chunk) {
        return out.write(chunk);
    }

    @Override
    public boolean writeQueueFull() {
        return out.writeQueueFull();
    }

    @Override
    public void drainHandler(Handler<Void> handler) {
        out.drainHandler(handler);
    }

    @Override
    public Future<Void> end() {
        return out.end();
    }

    @Override
    public Future<Void> end(Buffer last) {
        return out.end(last);
    }

    @Override
    public void reset() {
        out.reset();
    }

    @Override
    public boolean ended() {
        return out.ended();
    }
}
