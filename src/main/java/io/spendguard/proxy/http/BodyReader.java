package io.spendguard.proxy.http;

import io.spendguard.proxy.error.ProxyError;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads request bodies with two hard limits: each body's ({@code limits.max_body_bytes}: the declared
 * Content-Length first, then the running total), and the bytes of all bodies held at once
 * ({@code limits.max_buffered_body_bytes}), so that many connections each sending a large body —
 * with a credential that only looks valid, in passthrough mode — cannot exhaust the heap: past it, a
 * body is refused with 503 {@code overloaded} and {@code Retry-After}. A buffer grows with the bytes
 * that arrive; it is never sized from what a client declares. Called only once the caller is
 * authenticated and routed; the time a body may take is the {@link ConnectionGuard}'s.
 */
public final class BodyReader {
    private final long maxBytes;
    private final long maxBuffered;
    private final AtomicLong buffered = new AtomicLong();

    public BodyReader(long maxBytes, long maxBuffered) {
        this.maxBytes = maxBytes;
        this.maxBuffered = maxBuffered;
    }

    /** Bytes of request bodies held now (read, and not yet {@linkplain #release released}). */
    public AtomicLong buffered() {
        return buffered;
    }

    /** Reads {@code request}'s body; once the call is done, {@link #release} hands its bytes back. */
    public Future<Buffer> read(HttpServerRequest request) {
        String declared = request.getHeader("content-length");
        if (declared != null) {
            long length;
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                return Future.failedFuture(ProxyError.INVALID_REQUEST.exception("Content-Length is not a number."));
            }
            if (length > maxBytes) {
                return Future.failedFuture(tooLarge());
            }
        }
        Promise<Buffer> promise = Promise.promise();
        Buffer body = Buffer.buffer();
        request.handler(chunk -> {
            if (promise.future().isComplete()) {
                return;
            }
            if (body.length() + (long) chunk.length() > maxBytes) {
                fail(promise, body, tooLarge());
                return;
            }
            if (buffered.addAndGet(chunk.length()) > maxBuffered) {
                buffered.addAndGet(-chunk.length());
                fail(promise, body, ProxyError.OVERLOADED.exception("The proxy is holding as many request bodies as it may; retry.")
                        .header("Retry-After", "1"));
                return;
            }
            body.appendBuffer(chunk);
        });
        request.endHandler(v -> promise.tryComplete(body));
        request.exceptionHandler(e -> fail(promise, body, e));
        return promise.future();
    }

    /** Hands back the bytes of a body {@link #read} returned, once its call no longer holds it. */
    public void release(Buffer body) {
        if (body != null) {
            buffered.addAndGet(-body.length());
        }
    }

    private void fail(Promise<Buffer> promise, Buffer body, Throwable e) {
        if (promise.tryFail(e)) {
            buffered.addAndGet(-body.length());
        }
    }

    private Throwable tooLarge() {
        return ProxyError.REQUEST_TOO_LARGE.exception("The request body is larger than " + maxBytes + " bytes.");
    }
}
