package io.spendguard.proxy.pipeline.stages;

import io.spendguard.proxy.auth.Credentials;
import io.spendguard.proxy.auth.VirtualKey;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.pipeline.Exchange;
import io.spendguard.proxy.pipeline.Stage;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;

/**
 * What is checked from the request head alone, before a byte of the body is read or buffered: the
 * kept id headers' bounds ({@link CallHeaders}), the caller's credential (401 when missing, malformed,
 * unknown or revoked), then the framing (a compressed body is refused with 415: it would be priced,
 * and its size bounded, on bytes that are not what the provider reads). Synchronous — the key index
 * is in memory — so the body reader is attached in the same tick and no body bytes are missed.
 */
public final class HeadCheck implements Stage {
    private final Credentials credentials;

    public HeadCheck(Credentials credentials) {
        this.credentials = credentials;
    }

    @Override
    public Future<Void> apply(Exchange x) {
        MultiMap headers = x.headers();
        try {
            CallHeaders.check(headers);
            VirtualKey key = credentials.authenticate(headers, x.shape().provider());
            x.authenticated(key, Credentials.caller(headers, key));
        } catch (RuntimeException e) {
            // The chain's first step: a failure here must be a failed future, not an exception out of Pipeline#run.
            return Future.failedFuture(e);
        }
        String encoding = headers.get("content-encoding");
        if (encoding != null && !encoding.trim().equalsIgnoreCase("identity")) {
            return Future.failedFuture(ProxyError.UNSUPPORTED_CONTENT_ENCODING
                    .exception("Request bodies must not be compressed: send it without Content-Encoding.")
                    .header("Accept-Encoding", "identity"));
        }
        return Future.succeededFuture();
    }
}
