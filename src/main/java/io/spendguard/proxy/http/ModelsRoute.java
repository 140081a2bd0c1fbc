package io.spendguard.proxy.http;

import io.spendguard.proxy.auth.Credentials;
import io.spendguard.proxy.auth.VirtualKey;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.config.Provider;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.forward.Headers;
import io.spendguard.proxy.forward.Upstream;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;

/**
 * {@code GET /v1/models} and {@code GET /v1/models/{id}}: forwarded ungated under the same credential
 * rules as a model call, the provider's reply piped back as it is. Nothing is estimated, reserved or
 * settled.
 */
final class ModelsRoute {
    private final ProxyConfig config;
    private final Upstream upstream;
    private final Credentials credentials;

    ModelsRoute(ProxyConfig config, Upstream upstream, Credentials credentials) {
        this.config = config;
        this.upstream = upstream;
        this.credentials = credentials;
    }

    /** Forwards {@code request} ({@code path} already checked) to {@code provider}. */
    Future<Void> forward(HttpServerRequest request, Provider provider, String path, String query) {
        VirtualKey key;
        try {
            key = credentials.authenticate(request.headers(), provider);
        } catch (ProxyException e) {
            return Future.failedFuture(e);
        }
        MultiMap headers = Headers.upstream(request.headers());
        credentials.authorize(headers, provider, key);
        Upstream.Call call = upstream.call(config.provider(provider), request.method(), path, query, headers, null);
        var out = request.response();
        out.closeHandler(v -> call.cancel());
        return call.response()
                .recover(e -> Future.failedFuture(ProxyError.UPSTREAM_UNREACHABLE.exception("The provider could not be reached.")))
                .compose(in -> {
                    out.setStatusCode(in.statusCode());
                    out.headers().addAll(Headers.downstream(in.headers()));
                    HttpCall.frame(out, in.getHeader("content-length"));
                    return in.pipeTo(out);
                });
    }
}
