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
 */
public final class DataPlane implements Handler<HttpServerRequest> {
    /** Listed and read without a budget: {@code GET /v1/models} and {@code GET /v1/models/{id}}. */
    static final String MODELS = "/v1/models";

    private final Map<String, ApiShape> routes;
    private final Pipeline pipeline;
    private final ProxyMetrics metrics;
    private final long maxBodyBytes;

    public DataPlane(Map<String, ApiShape> routes, Pipeline pipeline, ProxyMetrics metrics, long maxBodyBytes) {
        this.routes = Map.copyOf(routes);
        this.pipeline = pipeline;
        this.metrics = metrics;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void handle(HttpServerRequest request) {
        String path = request.path();
        String route = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        if (request.method() == HttpMethod.GET && (route.equals(MODELS) || route.startsWith(MODELS + "/"))) {
            long started = System.nanoTime();
            pipeline.passThrough(request, "openai")
                    .map(v -> "ok")
                    .recover(e -> Future.succeededFuture(ErrorWriter.write(request, false, e)))
                    .onSuccess(outcome -> metrics.request("models", "openai", outcome, System.nanoTime() - started));
            return;
        }
        ApiShape shape = routes.get(route);
        if (shape == null) {
            String label = ErrorWriter.write(request, false, ProxyError.NOT_FOUND.exception(
                    "No route " + request.method() + " " + path + " on this proxy."));
            metrics.request("unknown", "none", label, 0);
            return;
        }
        boolean anthropic = "anthropic".equals(shape.provider());
        if (request.method() != HttpMethod.POST) {
            String label = ErrorWriter.write(request, anthropic, ProxyError.METHOD_NOT_ALLOWED.exception(
                    path + " accepts POST only."));
            metrics.request(shape.route(), shape.provider(), label, 0);
            return;
        }
        Exchange x = new Exchange(request, shape);
        request.response().closeHandler(v -> Pipeline.clientGone(x));
        BodyReader.read(request, maxBodyBytes)
                .compose(body -> {
                    x.body(body);
                    return pipeline.run(x);
                })
                .map(v -> x.outcome())
                .recover(e -> Future.succeededFuture(ErrorWriter.write(request, anthropic, e)))
                .onSuccess(outcome -> metrics.request(shape.route(), shape.provider(), outcome,
                        System.nanoTime() - x.startedNanos()));
    }
}
