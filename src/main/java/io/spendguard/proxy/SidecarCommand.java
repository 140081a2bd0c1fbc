package io.spendguard.proxy;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spendguard.proxy.admin.AdminApi;
import io.spendguard.proxy.config.ConfigException;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.ContractsWatcher;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.config.ProxyConfig.BudgetConfig;
import io.spendguard.proxy.engine.Approvals;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.engine.MemoryLedger;
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
    public record Running(Engine engine, SidecarServer sidecar, HttpServer admin, ContractsWatcher contracts) {
        /** Drains, then closes the socket and the admin port. */
        public Future<Void> stop() {
            contracts.close();
            return sidecar.drain().eventually(sidecar::close).eventually(admin::close);
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
     * Builds the engine as {@link ProxyServer} does (memory ledger, approvals good for
     * {@code approval_ttl}, the config's budgets and contracts), serves it on the socket and the admin
     * API on {@code admin.port}.
     */
    public static Future<Running> start(Vertx vertx, ProxyConfig config, SidecarServer.Options options, PrometheusMeterRegistry registry) {
        Clock clock = options.clock();
        ProxyMetrics metrics = options.metrics();
        ContractsWatcher contracts = new ContractsWatcher(vertx, config.contracts(), metrics, ContractsWatcher.DEFAULT_POLL_MS);
        Engine engine = new Engine(new MemoryLedger(clock), new Approvals(clock, config.approvalTtl()), clock,
                Duration.ofMillis(Math.max(config.openai().timeoutMs(), config.anthropic().timeoutMs())).plusMinutes(5), contracts);
        Future<Void> budgets = contracts.start();
        for (BudgetConfig b : config.budgets()) {
            BudgetSpec spec = b.toSpec();
            budgets = budgets.compose(v -> engine.putBudget(spec)
                    .onSuccess(s -> metrics.budget(s.spec().id(), s.spec().limitMicros(), s.remainingMicros())).mapEmpty());
        }
        return budgets.compose(v -> SidecarServer.start(vertx, engine, options)).compose(sidecar -> {
            AdminApi admin = new AdminApi(engine, new LocalGate(engine), metrics, registry, config.admin().token(), sidecar::draining);
            return vertx.createHttpServer().requestHandler(admin.router(vertx))
                    .listen(config.admin().endpoint().port(), config.admin().endpoint().host())
                    .recover(e -> sidecar.close().transform(x -> Future.failedFuture(e)))
                    .map(adminServer -> new Running(engine, sidecar, adminServer, contracts));
        }).onFailure(e -> contracts.close());
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
