import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;

/**
 * The floor for a Vert.x proxy on this machine, for loadtest/PROFILE.md: one listener per core, the
 * body read, sent through a pooled keep-alive client (the proxy's Upstream options), the reply read
 * whole and returned; no parsing, no gate, no metrics of ours. With {@code metrics} Vert.x's own
 * Micrometer meters are on, as the proxy had them. What the proxy spends above this is its own work.
 *   java -cp target/spendguard-proxy.jar loadtest/VertxFloor.java PORT UPSTREAM_PORT [metrics]
 */
public final class VertxFloor {
    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        int upstream = Integer.parseInt(args[1]);
        boolean metrics = args.length > 2 && args[2].equals("metrics");
        VertxOptions options = new VertxOptions().setPreferNativeTransport(true);
        Vertx vertx = metrics
                ? Vertx.builder().with(options.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
                        .withMetrics(new MicrometerMetricsFactory(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))).build()
                : Vertx.vertx(options);
        HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                new PoolOptions().setHttp1MaxSize(16_384).setMaxWaitQueueSize(4096));
        vertx.deployVerticle(() -> new VerticleBase() {
            @Override
            public Future<?> start() {
                return vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true)).requestHandler(req -> req.body()
                        .compose(body -> client.request(new RequestOptions().setMethod(HttpMethod.POST)
                                        .setAbsoluteURI("http://127.0.0.1:" + upstream + req.uri()).setHeaders(req.headers()))
                                .compose(out -> out.send(body))
                                .compose(in -> in.body().compose(reply -> req.response()
                                        .putHeader("content-type", in.getHeader("content-type")).end(reply))))
                        .onFailure(e -> req.response().setStatusCode(502).end()))
                        .listen(port, "127.0.0.1");
            }
        }, new DeploymentOptions().setInstances(Runtime.getRuntime().availableProcessors()))
                .onSuccess(id -> System.out.println("vertx floor on port " + port + (metrics ? " with Vert.x metrics" : "")));
    }
}
