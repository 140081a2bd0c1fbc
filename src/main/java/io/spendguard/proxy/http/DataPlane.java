package io.spendguard.proxy.http;

import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.pipeline.Exchange;
import io.spendguard.proxy.pipeline.Pipeline;
import io.spendguard.proxy.provider.ApiShape;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.Map;

/**
 * The listen port: routes each gated API to its shape, reads the body within the limit, runs the
 * {@link Pipeline}, writes any refusal and records the request metric. {@code GET /v1/models} is
 * forwarded ungated. Anything else is a 404 and is never forwarded: the proxy is not an open proxy.
 * While the {@link Drain} runs, new calls are refused with 503 and {@code Retry-After}, and every
 * call taken is counted until its reply is done and its settlement has landed.
 */
public final class DataPlane implements Handler<HttpServerRequest> {
    /** Listed and read without a budget: {@code GET /v1/models} and {@code GET /v1/models/{id}}. */
    static final String MODELS = "/v1/models";

    private final Map<String, ApiShape> routes;
    private final Pipeline pipeline;
    private final ProxyMetrics metrics;
    private final long maxBodyBytes;
    private final Drain drain;

    public DataPlane(Map<String, ApiShape> routes, Pipeline pipeline, ProxyMetrics metrics, long maxBodyBytes, Drain drain) {
        this.routes = Map.copyOf(routes);
        this.pipeline = pipeline;
        this.metrics = metrics;
        this.maxBodyBytes = maxBodyBytes;
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
        String path = request.path();
        String route = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        if (request.method() == HttpMethod.GET && (route.equals(MODELS) || route.startsWith(MODELS + "/"))) {
            long started = System.nanoTime();
            return pipeline.passThrough(request, "openai")
                    .map(v -> "ok")
                    .recover(e -> Future.succeededFuture(ErrorWriter.write(request, false, e)))
                    .onSuccess(outcome -> metrics.request("models", "openai", outcome, System.nanoTime() - started))
                    .mapEmpty();
        }
        ApiShape shape = routes.get(route);
        if (shape == null) {
            String label = ErrorWriter.write(request, false, ProxyError.NOT_FOUND.exception(
                    "No route " + request.method() + " " + path + " on this proxy."));
            metrics.request("unknown", "none", label, 0);
            return Future.succeededFuture();
        }
        boolean anthropic = "anthropic".equals(shape.provider());
        if (request.method() != HttpMethod.POST) {
            String label = ErrorWriter.write(request, anthropic, ProxyError.METHOD_NOT_ALLOWED.exception(
                    path + " accepts POST only."));
            metrics.request(shape.route(), shape.provider(), label, 0);
            return Future.succeededFuture();
        }
        Exchange x = new Exchange(request, shape);
        request.response().closeHandler(v -> Pipeline.clientGone(x));
        return BodyReader.read(request, maxBodyBytes)
                .compose(body -> {
                    x.body(body);
                    return pipeline.run(x);
                })
                .map(v -> x.outcome())
                .recover(e -> Future.succeededFuture(ErrorWriter.write(request, anthropic, e)))
                .onSuccess(outcome -> metrics.request(shape.route(), shape.provider(), outcome,
                        System.nanoTime() - x.startedNanos()))
                .compose(outcome -> x.settled().onComplete(v -> AccessLog.log(x, outcome)));
    }
}
