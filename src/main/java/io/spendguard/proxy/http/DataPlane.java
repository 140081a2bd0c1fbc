package io.spendguard.proxy.http;

import io.spendguard.proxy.config.Provider;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.auth.Credentials;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.forward.Upstream;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.pipeline.Exchange;
import io.spendguard.proxy.pipeline.Pipeline;
import io.spendguard.proxy.provider.ApiShape;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The listen port: checks the request target, routes each gated API to its shape and runs the
 * {@link Pipeline} over an {@link Exchange} whose client ({@link HttpCall}) reads the body and writes
 * the answers; the client's close handler is registered here, once. {@code GET /v1/models} is
 * forwarded ungated ({@link ModelsRoute}). Anything else is a 404 and is never forwarded: the proxy is not an open proxy.
 * While the {@link Drain} runs, new calls are refused with 503 and {@code Retry-After}, and every
 * call taken is counted until its reply is done and its settlement has landed.
 */
public final class DataPlane implements Handler<HttpServerRequest> {
    /** Listed and read without a budget: {@code GET /v1/models} and {@code GET /v1/models/{id}}. */
    static final String MODELS = "/v1/models";

    private final Map<String, ApiShape> routes;
    private final Pipeline pipeline;
    private final ProxyMetrics metrics;
    private final BodyReader bodies;
    private final Drain drain;
    private final ModelsRoute models;

    public DataPlane(List<ApiShape> shapes, Pipeline pipeline, ProxyMetrics metrics, BodyReader bodies, Drain drain,
                     ProxyConfig config, Upstream upstream, Credentials credentials) {
        this.models = new ModelsRoute(config, upstream, credentials);
        this.routes = shapes.stream().collect(Collectors.toUnmodifiableMap(ApiShape::path, s -> s));
        this.pipeline = pipeline;
        this.metrics = metrics;
        this.bodies = bodies;
        this.drain = drain;
    }

    @Override
    public void handle(HttpServerRequest request) {
        if (!drain.begin()) {
            // Connection: close moves the client's keep-alive connection to another replica.
            String label = ErrorWriter.write(request, request.path().startsWith("/v1/messages"), ProxyError.DRAINING
                    .exception("This proxy is shutting down and takes no new calls; retry.")
                    .header("Retry-After", "1").header("Connection", "close"));
            metrics.request("draining", "none", label, 0);
            return;
        }
        route(request).onComplete(ar -> drain.end());
    }

    /** Serves one call; the future completes when its reply is done and its settlement has landed. */
    private Future<Void> route(HttpServerRequest request) {
        long started = System.nanoTime();
        RequestTarget target;
        try {
            target = RequestTarget.parse(request.uri());
        } catch (ProxyException e) {
            return refuse(request, false, e, "invalid", "none", started);
        }
        String route = target.path();
        if (request.method() == HttpMethod.GET && (route.equals(MODELS) || route.startsWith(MODELS + "/"))) {
            if (route.indexOf('/', MODELS.length() + 1) >= 0) {
                return refuse(request, false, ProxyError.NOT_FOUND.exception(
                        "No route " + request.method() + " for that path: /v1/models/{id} takes a single model id."),
                        "models", Provider.OPENAI.label(), started);
            }
            return models.forward(request, Provider.OPENAI, route, target.query())
                    .map(v -> "ok")
                    .recover(e -> Future.succeededFuture(ErrorWriter.write(request, false, e)))
                    .onSuccess(outcome -> metrics.request("models", Provider.OPENAI.label(), outcome, System.nanoTime() - started))
                    .mapEmpty();
        }
        ApiShape shape = routes.get(route);
        if (shape == null) {
            return refuse(request, false, ProxyError.NOT_FOUND.exception("No route " + request.method() + " " + route + " on this proxy."),
                    "unknown", "none", started);
        }
        boolean anthropic = shape.provider() == Provider.ANTHROPIC;
        if (request.method() != HttpMethod.POST) {
            return refuse(request, anthropic, ProxyError.METHOD_NOT_ALLOWED.exception(route + " accepts POST only."),
                    shape.route(), shape.provider().label(), started);
        }
        Exchange x = new Exchange(new HttpCall(request, bodies, anthropic), shape, target.query(), request.headers());
        // The one close handler of the call: stages and the relay learn of it through the exchange.
        request.response().closeHandler(v -> x.clientGone());
        return pipeline.run(x).andThen(ar -> bodies.release(x.bodyAsRead()));
    }

    /**
     * Answers a request whose head the HTTP codec could not take (a line or header block over the
     * limit, a malformed {@code Content-Length}, …) in the provider's error shape, then closes the
     * connection: what follows on it cannot be trusted to be framed.
     */
    public void invalid(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        ProxyException e = cause instanceof TooLongHttpLineException
                ? ProxyError.TARGET_TOO_LONG.exception("The request line is longer than this proxy accepts.")
                : cause instanceof TooLongHttpHeaderException
                ? ProxyError.HEADERS_TOO_LARGE.exception("The request headers are larger than this proxy accepts.")
                : ProxyError.INVALID_REQUEST.exception("The request is not well-formed HTTP.");
        refuse(request, false, e.header("Connection", "close"), "invalid", "none", System.nanoTime());
        request.connection().close();
    }

    /** Answers a request refused before it became a call: the error, the metric and an access-log line. */
    private Future<Void> refuse(HttpServerRequest request, boolean anthropic, ProxyException e, String route, String provider,
                                long started) {
        String label = ErrorWriter.write(request, anthropic, e);
        metrics.request(route, provider, label, System.nanoTime() - started);
        AccessLog.refused(request, route, label, started);
        return Future.succeededFuture();
    }
}
