package io.spendguard.proxy.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spendguard.proxy.Engines;
import io.spendguard.proxy.ProxyServer;
import io.spendguard.proxy.admin.AdminApi;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.http.ConnectionGuard;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.gate.LocalGate;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.sidecar.server.SidecarServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sidecar --config FILE [--socket PATH] [--drain-seconds N]}: the embedded engine served over
 * the SpendGuard sidecar protocol on a Unix socket ({@code gate.sidecar.socket} unless given), with
 * the same admin API as the proxy on {@code admin.port}. SIGTERM drains (DRAIN_INITIATED to the
 * clients, new decisions refused, open reservations given up to N seconds to settle, default 20),
 * then closes.
 */
@Command(name = "sidecar", mixinStandardHelpOptions = true, versionProvider = SpendGuardCli.Version.class,
        description = {"Serves the budget engine over the SpendGuard sidecar protocol (gRPC on a Unix socket), so a "
                + "proxy (ours or any SpendGuard SDK) can reserve against it; the admin API with /metrics beside it.",
                "SIGTERM drains: clients are told DRAIN_INITIATED, new decisions are refused, open reservations get "
                        + "--drain-seconds to settle, then it closes."})
public final class SidecarCommand implements Callable<Integer> {
    @ParentCommand
    private SpendGuardCli cli;
    @Spec
    private CommandSpec spec;
    @Mixin
    private ConfigFile config;
    @Option(names = "--socket", paramLabel = "PATH", description = "the Unix socket to serve on; default: the config's gate.sidecar.socket")
    private Path socket;
    @Option(names = "--drain-seconds", paramLabel = "N", defaultValue = "20",
            description = "on SIGTERM, how long open reservations get to settle; default: ${DEFAULT-VALUE}")
    private long drainSeconds;

    /** A started sidecar and its admin listener. */
    public record Running(Engines.Running engines, SidecarServer sidecar, HttpServer admin) {
        public Engine engine() {
            return engines.engine();
        }

        /** Drains, then closes the socket, the admin port and the ledger. */
        public Future<Void> stop() {
            return sidecar.drain().eventually(sidecar::close).eventually(admin::close).eventually(engines::close);
        }
    }

    @Override
    public Integer call() {
        if (drainSeconds < 0) {
            throw new ParameterException(spec.commandLine(), "--drain-seconds: " + drainSeconds + " (expected: a whole number >= 0)");
        }
        ProxyConfig proxyConfig = config.load();
        Path path = socket != null ? socket : Path.of(proxyConfig.gate().sidecar().socket());
        PrometheusMeterRegistry registry = ProxyServer.newRegistry();
        Vertx vertx = ProxyServer.newVertx(registry);
        SidecarServer.Options options;
        Running running;
        try {
            options = new SidecarServer.Options(path, proxyConfig.gate().sidecar().tenantId(), proxyConfig.gate().sidecar().unitId(),
                    Duration.ofSeconds(drainSeconds), Clock.systemUTC(), new ProxyMetrics(registry));
            running = start(vertx, proxyConfig, options, registry).await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            spec.commandLine().getErr().println("spendguard sidecar: cannot start: " + e.getMessage());
            vertx.close();
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.stop().eventually(vertx::close).await(drainSeconds + 10, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // shutting down anyway
            }
        }));
        spec.commandLine().getOut().println("spendguard sidecar: socket " + path.toAbsolutePath() + ", admin on "
                + proxyConfig.admin().endpoint().host() + ":" + running.admin().actualPort()
                + ", tenant " + (options.tenantId().isEmpty() ? "(any)" : options.tenantId()) + ", unit " + options.unitId()
                + ", transport " + (vertx.isNativeTransportEnabled() ? "native" : "nio"));
        cli.serving();
        return 0;
    }

    /**
     * Builds the engine as {@link ProxyServer} does (the configured ledger, the config's budgets, the
     * sweeper); serves it on the socket and the admin API on {@code admin.port}.
     */
    public static Future<Running> start(Vertx vertx, ProxyConfig config, SidecarServer.Options options, PrometheusMeterRegistry registry) {
        ProxyMetrics metrics = options.metrics();
        return Engines.start(vertx, config, options.clock(), metrics).compose(engines -> {
            Engine engine = engines.engine();
            return SidecarServer.start(vertx, engine, options).compose(sidecar -> {
                AdminApi admin = new AdminApi(engine, new LocalGate(engine), metrics, registry, config.admin().token(), sidecar::draining);
                // The same connection cap and timeouts as the proxy's own admin port.
                HttpServerOptions adminOptions = ConnectionGuard.options(new HttpServerOptions());
                return ConnectionGuard.admin(config.limits(), metrics).install(vertx.createHttpServer(adminOptions), adminOptions,
                                admin.router(vertx))
                        .listen(config.admin().endpoint().port(), config.admin().endpoint().host())
                        .recover(e -> sidecar.close().transform(x -> Future.failedFuture(e)))
                        .map(adminServer -> new Running(engines, sidecar, adminServer));
            }).recover(e -> engines.close().transform(x -> Future.failedFuture(e)));
        });
    }
}
