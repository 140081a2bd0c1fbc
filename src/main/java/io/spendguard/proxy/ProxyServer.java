package io.spendguard.proxy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spendguard.proxy.admin.AdminApi;
import io.spendguard.proxy.auth.Credentials;
import io.spendguard.proxy.auth.MemoryVirtualKeys;
import io.spendguard.proxy.auth.VirtualKeys;
import io.spendguard.proxy.config.GateMode;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.config.ProxyConfig.KeyConfig;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.ledger.IdempotencyStore;
import io.spendguard.proxy.ledger.memory.MemoryIdempotency;
import io.spendguard.proxy.estimate.Estimator;
import io.spendguard.proxy.estimate.PriceTable;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.forward.Upstream;
import io.spendguard.proxy.gate.Gate;
import io.spendguard.proxy.gate.LocalGate;
import io.spendguard.proxy.sidecar.client.SidecarGate;
import io.spendguard.proxy.http.ConnectionGuard;
import io.spendguard.proxy.http.AccessLog;
import io.spendguard.proxy.http.BodyReader;
import io.spendguard.proxy.http.DataPlane;
import io.spendguard.proxy.http.Drain;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.pipeline.Idempotency;
import io.spendguard.proxy.pipeline.Pipeline;
import io.spendguard.proxy.pipeline.stages.Decide;
import io.spendguard.proxy.pipeline.stages.Deduplicate;
import io.spendguard.proxy.pipeline.stages.Degrade;
import io.spendguard.proxy.pipeline.stages.Forward;
import io.spendguard.proxy.pipeline.stages.HeadCheck;
import io.spendguard.proxy.pipeline.stages.Parse;
import io.spendguard.proxy.pipeline.stages.ReadBody;
import io.spendguard.proxy.pipeline.stages.RelayReply;
import io.spendguard.proxy.pipeline.stages.RunScope;
import io.spendguard.proxy.pipeline.stages.Settle;
import io.spendguard.proxy.provider.anthropic.AnthropicMessages;
import io.spendguard.proxy.provider.openai.OpenAiChat;
import io.spendguard.proxy.provider.openai.OpenAiCompletions;
import io.spendguard.proxy.provider.openai.OpenAiEmbeddings;
import io.spendguard.proxy.provider.openai.OpenAiResponses;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Wires one proxy: engine, gate, pipeline, the data-plane listener (one server per event loop) and
 * the admin listener. {@link #start} returns once both ports are bound.
 */
public final class ProxyServer {
    private static final Logger LOG = Logger.getLogger(ProxyServer.class.getName());
    private static final Duration IDEMPOTENCY_TTL = Duration.ofMinutes(10);

    private final Vertx vertx;
    private final Engines.Running engine;
    private final Upstream upstream;
    private final Gate gate;
    private final List<String> deployments = new ArrayList<>();
    private final Drain drain = new Drain();
    private HttpServer admin;
    private int port;

    private ProxyServer(Vertx vertx, Engines.Running engine, Upstream upstream, Gate gate) {
        this.vertx = vertx;
        this.engine = engine;
        this.upstream = upstream;
        this.gate = gate;
    }

    /**
     * A Vert.x instance with native transport when available and Micrometer metrics into {@code registry}:
     * JVM, pool and the other Vert.x meters, but not Vert.x's per-request HTTP server and client meters.
     * Those look up (and re-register) several meters on every request, about a tenth of the event
     * loop's time in the load-test profile, and say less than the proxy's own
     * {@code spendguard_requests_total}, {@code spendguard_request_duration_seconds} and
     * {@code spendguard_upstream_duration_seconds}.
     */
    public static Vertx newVertx(PrometheusMeterRegistry registry) {
        Vertx vertx = Vertx.builder()
                .with(new VertxOptions().setPreferNativeTransport(true)
                        .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
                                .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)
                                .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT)))
                .withMetrics(new MicrometerMetricsFactory(registry))
                .build();
        if (!vertx.isNativeTransportEnabled()) {
            LOG.info("native transport unavailable, using NIO: " + vertx.unavailableNativeTransportCause());
        }
        return vertx;
    }

    public static PrometheusMeterRegistry newRegistry() {
        return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    public static Future<ProxyServer> start(Vertx vertx, ProxyConfig config, PriceTable prices, Clock clock,
                                            PrometheusMeterRegistry registry, int instances) {
        return start(vertx, config, prices, clock, registry, instances, LocalGate::new);
    }

    /**
     * As {@link #start}, with the gate built around the engine by {@code gates} (the seam the gate modes
     * plug into); with {@code gate.mode: sidecar} the gate is a {@link SidecarGate} connected first.
     */
    static Future<ProxyServer> start(Vertx vertx, ProxyConfig config, PriceTable prices, Clock clock,
                                     PrometheusMeterRegistry registry, int instances, Function<Engine, Gate> gates) {
        ProxyMetrics metrics = new ProxyMetrics(registry);
        // Loading the tokenizers takes seconds: here, on the caller's thread, never on an event loop.
        TokenCounter tokens = new TokenCounter();
        metrics.tokenisedChars(tokens, TokenCounter::charactersTokenised);
        Estimator estimator = new Estimator(prices, tokens, config.estimation());
        // With gate.mode: sidecar the sidecar owns budgets and approvals: no local engine or ledger.
        if (config.gate().mode() == GateMode.SIDECAR) {
            return SidecarGate.connect(vertx, config, metrics).compose(g -> assemble(vertx, config, estimator, registry, instances,
                    metrics, null, g, new MemoryIdempotency(IDEMPOTENCY_TTL, 64L * 1024 * 1024), clock));
        }
        return Engines.start(vertx, config, clock, metrics).compose(running -> assemble(vertx, config, estimator, registry,
                instances, metrics, running, gates.apply(running.engine()), running.engine().ledger().idempotency(), clock)
                .recover(e -> running.close().transform(x -> Future.failedFuture(e))));
    }

    private static Future<ProxyServer> assemble(Vertx vertx, ProxyConfig config, Estimator estimator,
                                                PrometheusMeterRegistry registry, int instances, ProxyMetrics metrics,
                                                Engines.Running engine, Gate gate, IdempotencyStore idempotency, Clock clock) {
        Upstream upstream = new Upstream(vertx);
        VirtualKeys keys = config.auth().virtualKeys() ? new MemoryVirtualKeys(clock) : null;
        Credentials credentials = new Credentials(config.auth(), config.openai(), config.anthropic(), keys);
        Pipeline pipeline = pipeline(vertx, config, estimator, gate, upstream, credentials,
                new Idempotency(idempotency, clock, IDEMPOTENCY_TTL), metrics);
        ProxyServer server = new ProxyServer(vertx, engine, upstream, gate);
        ConnectionGuard dataGuard = ConnectionGuard.data(config.limits(), metrics);
        BodyReader bodies = new BodyReader(config.limits().maxBodyBytes(), config.limits().maxBufferedBodyBytes());
        metrics.bodyBytesBuffered(bodies.buffered());
        ConnectionGuard adminGuard = ConnectionGuard.admin(config.limits(), metrics);
        DataPlane dataPlane = new DataPlane(List.of(new OpenAiChat(), new OpenAiResponses(), new OpenAiCompletions(),
                new OpenAiEmbeddings(), new AnthropicMessages()), pipeline, metrics, bodies, server.drain, config, upstream, credentials);
        AdminApi adminApi = new AdminApi(engine == null ? null : engine.engine(), gate, metrics, registry, config.admin().token(),
                server.drain::draining, keys);

        Future<Void> ready = Future.succeededFuture();
        for (KeyConfig k : keys == null ? List.<KeyConfig>of() : config.auth().keys()) {
            ready = ready.compose(v -> keys.add(k, VirtualKeys.CONFIG).mapEmpty());
        }
        HttpServerOptions options = ConnectionGuard.options(new HttpServerOptions())
                .setHost(config.listen().host())
                .setTcpNoDelay(true)
                .setHandle100ContinueAutomatically(true)
                .setMaxInitialLineLength(16 * 1024)
                .setMaxHeaderSize(64 * 1024);
        HttpServerOptions adminOptions = ConnectionGuard.options(new HttpServerOptions());
        return ready
                // Port 0 (tests, ad-hoc runs) binds one random port per server, which instances cannot share: one listener then.
                .compose(v -> server.deploy(dataPlane, dataGuard, options, config.listen().port(),
                        config.listen().port() == 0 ? 1 : instances))
                .compose(v -> adminGuard.install(vertx.createHttpServer(adminOptions), adminOptions, adminApi.router(vertx))
                        .listen(config.admin().endpoint().port(), config.admin().endpoint().host()))
                .map(adminServer -> {
                    server.admin = adminServer;
                    return server;
                });
    }

    /** The stages of a gated call, in the order they run. */
    private static Pipeline pipeline(Vertx vertx, ProxyConfig config, Estimator estimator, Gate gate, Upstream upstream,
                                     Credentials credentials, Idempotency idempotency, ProxyMetrics metrics) {
        return new Pipeline(new Pipeline.Stages(
                new HeadCheck(credentials),
                new ReadBody(),
                new Parse(vertx, estimator, credentials),
                new Deduplicate(idempotency, config.runs()),
                new RunScope(),
                new Decide(config.gate(), gate, estimator, metrics, new Degrade(vertx, gate, estimator)),
                new Forward(config, upstream, credentials, metrics),
                new RelayReply(estimator.tokens(), idempotency, metrics),
                new Settle()), metrics, AccessLog::log);
    }

    private Future<Void> deploy(DataPlane dataPlane, ConnectionGuard guard, HttpServerOptions options, int listenPort, int count) {
        return vertx.deployVerticle(() -> new Listener(dataPlane, guard, new HttpServerOptions(options).setPort(listenPort), this),
                new DeploymentOptions().setInstances(count)).map(id -> {
                    deployments.add(id);
                    return null;
                });
    }

    /** One data-plane server on one event loop, attached to the gate there; all of them share one {@link ConnectionGuard}. */
    private static final class Listener extends VerticleBase {
        private final DataPlane dataPlane;
        private final ConnectionGuard guard;
        private final HttpServerOptions options;
        private final ProxyServer owner;

        Listener(DataPlane dataPlane, ConnectionGuard guard, HttpServerOptions options, ProxyServer owner) {
            this.dataPlane = dataPlane;
            this.guard = guard;
            this.options = options;
            this.owner = owner;
        }

        @Override
        public Future<?> start() {
            return owner.gate.attach()
                    .compose(v -> guard.install(vertx.createHttpServer(options), options, dataPlane).invalidRequestHandler(dataPlane::invalid).listen())
                    .onSuccess(s -> owner.port = s.actualPort());
        }

        @Override
        public Future<?> stop() {
            return owner.gate.detach();
        }
    }

    /** The data-plane port actually bound. */
    public int port() {
        return port;
    }

    public int adminPort() {
        return admin.actualPort();
    }

    /** The embedded engine; null with {@code gate.mode: sidecar}. */
    public Engine engine() {
        return engine == null ? null : engine.engine();
    }

    /**
     * The graceful shutdown a SIGTERM starts: {@code /readyz} turns 503 and new calls are refused
     * with 503 and {@code Retry-After}, while the calls in flight (streams too) finish and settle;
     * then everything closes. After {@code grace} it closes anyway, cutting what is left. The
     * future holds the number of calls that were still in flight then (0: a clean drain).
     */
    public Future<Integer> drain(Duration grace) {
        return drain.start()
                .timeout(grace.toMillis(), TimeUnit.MILLISECONDS)
                .transform(ar -> {
                    int left = ar.succeeded() ? 0 : drain.inFlight();
                    return stop().transform(closed -> Future.succeededFuture(left));
                });
    }

    /** True once a drain has started. */
    public boolean draining() {
        return drain.draining();
    }

    /** Stops taking new calls, then closes everything at once. */
    public Future<Void> stop() {
        drain.start();
        Future<Void> all = Future.succeededFuture();
        for (String id : deployments) {
            all = all.compose(v -> vertx.undeploy(id));
        }
        return all.compose(v -> admin.close()).compose(v -> upstream.close())
                .compose(v -> gate instanceof SidecarGate sidecar ? sidecar.close() : Future.succeededFuture())
                .compose(v -> engine == null ? Future.succeededFuture() : engine.close());
    }
}
