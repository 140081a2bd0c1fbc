package io.spendguard.proxy.forward;

import io.spendguard.proxy.config.Origin;
import io.spendguard.proxy.config.PlainPath;
import io.spendguard.proxy.config.ProxyConfig.ProviderConfig;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * The pooled HTTP client to the providers. One {@link Call} per forwarded request: it knows whether
 * the body reached the provider (a failure before that is safe to release) and can be cancelled
 * when the client goes away.
 */
public final class Upstream {
    /**
     * Connections per provider endpoint. A stream holds its HTTP/1.1 connection for its whole life, so
     * this bounds the streams in flight to one provider (thousands of agents streaming at once).
     */
    static final int MAX_CONNECTIONS = 16_384;

    private final HttpClientAgent client;

    public Upstream(Vertx vertx) {
        this.client = vertx.createHttpClient(new HttpClientOptions()
                        .setKeepAlive(true)
                        .setTcpNoDelay(true)
                        .setDecompressionSupported(false)
                        .setMaxInitialLineLength(16 * 1024)
                        .setMaxHeaderSize(64 * 1024),
                new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS).setHttp2MaxSize(64).setMaxWaitQueueSize(4096));
    }

    /**
     * Starts a request to {@code provider}: its configured scheme, host and port, its base path +
     * {@code path} (one of the proxy's routes, or a checked model id under {@code /v1/models}) and the
     * re-encoded {@code query} (null: none). Nothing here is parsed from text a client sent.
     */
    public Call call(ProviderConfig provider, HttpMethod method, String path, String query, MultiMap headers, Buffer body) {
        if (!PlainPath.segments(path)) { // defence in depth behind the request-target check
            throw new IllegalArgumentException("not a plain upstream path");
        }
        Origin origin = provider.origin();
        Call call = new Call();
        RequestOptions options = new RequestOptions()
                .setMethod(method)
                .setSsl(origin.tls())
                .setHost(origin.host())
                .setPort(origin.port())
                .setURI(origin.basePath() + path + (query == null ? "" : "?" + query))
                .setHeaders(headers)
                .setConnectTimeout(provider.connectTimeoutMs())
                .setIdleTimeout(provider.timeoutMs());
        call.response = client.request(options).compose(req -> {
            call.request = req;
            if (call.cancelled) {
                req.reset();
                return Future.failedFuture(new IllegalStateException("cancelled before sending"));
            }
            Future<Void> sent = body == null ? req.end() : req.end(body);
            sent.onSuccess(v -> call.bodySent = true);
            return req.response();
        });
        return call;
    }

    public Future<Void> close() {
        return client.close();
    }

    /** One request in flight to a provider. */
    public static final class Call {
        private volatile HttpClientRequest request;
        private volatile boolean bodySent;
        private volatile boolean cancelled;
        private Future<HttpClientResponse> response;

        public Future<HttpClientResponse> response() {
            return response;
        }

        /** True once the whole body was handed to the provider's connection. */
        public boolean bodySent() {
            return bodySent;
        }

        /** Aborts the call (resets the stream or closes the connection). */
        public void cancel() {
            cancelled = true;
            HttpClientRequest r = request;
            if (r != null) {
                r.reset();
            }
        }
    }
}
