package io.spendguard.proxy.http;

import io.spendguard.proxy.error.ProxyError;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * Reads a request body with a hard limit: the declared Content-Length first, then the running total.
 * The buffer grows with the bytes that arrive; it is never sized from what a client declares, so a
 * head promising a large body costs nothing until the body is sent. Called only once the caller is
 * authenticated and routed; the time a body may take is the {@link ConnectionGuard}'s.
 */
public final class BodyReader {
    private BodyReader() { }

    public static Future<Buffer> read(HttpServerRequest request, long maxBytes) {
        String declared = request.getHeader("content-length");
        long length = -1;
        if (declared != null) {
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                return Future.failedFuture(ProxyError.INVALID_REQUEST.exception("Content-Length is not a number."));
            }
            if (length > maxBytes) {
                return Future.failedFuture(tooLarge(maxBytes));
            }
        }
        Promise<Buffer> promise = Promise.promise();
        Buffer body = Buffer.buffer();
        request.handler(chunk -> {
            if (promise.future().isComplete()) {
                return;
            }
            if (body.length() + (long) chunk.length() > maxBytes) {
                promise.tryFail(tooLarge(maxBytes));
                return;
            }
            body.appendBuffer(chunk);
        });
        request.endHandler(v -> promise.tryComplete(body));
        request.exceptionHandler(promise::tryFail);
        return promise.future();
    }

    private static Throwable tooLarge(long maxBytes) {
        return ProxyError.REQUEST_TOO_LARGE.exception("The request body is larger than " + maxBytes + " bytes.");
    }
}
