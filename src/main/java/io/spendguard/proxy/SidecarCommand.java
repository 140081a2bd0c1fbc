package io.spendguard.proxy;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spendguard.proxy.admin.AdminApi;
import io.spendguard.proxy.config.ConfigException;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.config.ProxyConfig.BudgetConfig;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.gate.LocalGate;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.sidecar.SidecarServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code sidecar --config FILE [--socket PATH] [--drain-seconds N]}: the embedded engine served over
 * the SpendGuard sidecar protocol on a Unix socket ({@code gate.sidecar.socket} unless given), with
 * the same admin API as the proxy on {@code admin.port}. SIGTERM drains (DRAIN_INITIATED to the
 * clients, new decisions refused, open reservations given up to N seconds to settle, default 20),
 * then closes.
 */
public final class SidecarCommand {

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

    private SidecarCommand() { }

    public static void run(List<String> args) {
        String location = Main.option(args, "--config", "config/spendguard.yaml");
        ProxyConfig config = ConfigLoader.load(location, System::getenv);
        Path socket = Path.of(Main.option(args, "--socket", config.gate().sidecar().socket()));
        long drainSeconds = drainSeconds(Main.option(args, "--drain-seconds", "20"));
        PrometheusMeterRegistry registry = ProxyServer.newRegistry();
        Vertx vertx = ProxyServer.newVertx(registry);
        try {
            SidecarServer.Options options = new SidecarServer.Options(socket, config.gate().sidecar().tenantId(),
                    config.gate().sidecar().unitId(), Duration.ofSeconds(drainSeconds), Clock.systemUTC(), new ProxyMetrics(registry));
            Running running = start(vertx, config, options, registry).await(30, TimeUnit.SECONDS);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    running.stop().eventually(vertx::close).await(drainSeconds + 10, TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // shutting down anyway
                }
            }));
            System.out.println("spendguard sidecar: socket " + socket.toAbsolutePath() + ", admin on "
                    + config.admin().endpoint().host() + ":" + running.admin().actualPort()
                    + ", tenant " + (options.tenantId().isEmpty() ? "(any)" : options.tenantId()) + ", unit " + options.unitId()
                    + ", transport " + (vertx.isNativeTransportEnabled() ? "native" : "nio"));
        } catch (Exception e) {
            System.err.println("spendguard sidecar: cannot start: " + e.getMessage());
            vertx.close();
            System.exit(1);
        }
    }

    /**
     * Builds the engine as {@link ProxyServer} does (the configured ledger, the config's budgets, the
     * sweeper), except that every hold counts as forwarded once granted (the protocol does not
     * report forwarding); serves it on the socket and the admin API on {@code admin.port}.
     */
    public static Future<Running> start(Vertx vertx, ProxyConfig config, SidecarServer.Options options, PrometheusMeterRegistry registry) {
        ProxyMetrics metrics = options.metrics();
        return Engines.start(vertx, config, options.clock(), true, metrics).compose(engines -> {
            Engine engine = engines.engine();
            return SidecarServer.start(vertx, engine, options).compose(sidecar -> {
                AdminApi admin = new AdminApi(engine, new LocalGate(engine), metrics, registry, config.admin().token(), sidecar::draining);
                return vertx.createHttpServer().requestHandler(admin.router(vertx))
                        .listen(config.admin().endpoint().port(), config.admin().endpoint().host())
                        .recover(e -> sidecar.close().transform(x -> Future.failedFuture(e)))
                        .map(adminServer -> new Running(engines, sidecar, adminServer));
            }).recover(e -> engines.close().transform(x -> Future.failedFuture(e)));
        });
    }

    private static long drainSeconds(String value) {
        try {
            long n = Long.parseLong(value);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new ConfigException("--drain-seconds: " + value + " (expected: a whole number >= 0)");
    }
}
