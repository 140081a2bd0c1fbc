package io.spendguard.proxy.sidecar.client;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.TimeUnit;

/**
 * An {@link HttpClient} that gives every request a host and port ({@code localhost:80}) used only for
 * the HTTP/2 {@code :authority} pseudo-header. Over a Unix socket the Vert.x gRPC client sends no
 * {@code :authority} (the address has no host), and strict HTTP/2 servers (nghttp2, grpc-js) reset
 * such streams with PROTOCOL_ERROR; the connection itself still goes to the request's server address.
 */
final class AuthorityHttpClient implements HttpClient {
    static final String HOST = "localhost";
    static final int PORT = 80;

    private final HttpClient delegate;

    AuthorityHttpClient(HttpClient delegate) {
        this.delegate = delegate;
    }

    @Override
    public Future<HttpClientRequest> request(RequestOptions options) {
        if (options.getHost() == null) {
            options.setHost(HOST);
        }
        if (options.getPort() == null) {
            options.setPort(PORT);
        }
        return delegate.request(options);
    }

    @Override
    public Future<Void> shutdown(long timeout, TimeUnit unit) {
        return delegate.shutdown(timeout, unit);
    }
}
