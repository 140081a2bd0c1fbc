package io.spendguard.proxy.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spendguard.proxy.ProxyServer;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.estimate.PriceTable;
import io.spendguard.proxy.http.AccessLog;
import io.spendguard.proxy.logging.DrainSafeLogManager;
import io.spendguard.proxy.logging.StdoutLines;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code serve --config FILE}: the proxy from a config file, production mode. Access-log lines go to
 * stdout as JSON, everything else to stderr. SIGTERM drains: calls in flight finish and settle for up
 * to {@code shutdown.grace_ms}, then the process exits.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = SpendGuardCli.Version.class,
        description = {"Runs the proxy from a config file (production mode): the data plane, the admin API with "
                + "/metrics, and the gate and ledger, all as the file says.",
                "Access-log lines go to stdout as JSON; everything else to stderr. SIGTERM drains: calls in flight "
                        + "finish and settle for up to shutdown.grace_ms, then it exits."})
public final class ServeCommand implements Callable<Integer> {
    @ParentCommand
    private SpendGuardCli cli;
    @Spec
    private CommandSpec spec;
    @Mixin
    private ConfigFile config;

    @Override
    public Integer call() {
        // One JSON object per line on stdout, for the log shipper; everything else stays on stderr.
        StdoutLines lines = DrainSafeLogManager.messagesToStdout(AccessLog.logger());
        ProxyConfig proxyConfig = config.load();
        start(proxyConfig, prices(proxyConfig, config.location()), "serve", lines, spec.commandLine().getOut());
        cli.serving();
        return 0;
    }

    /** Loads the price table named by the config: as given, else beside the config file. */
    static PriceTable prices(ProxyConfig config, String configLocation) {
        Path pricing = config.pricing();
        if (!Files.exists(pricing) && !configLocation.startsWith("classpath:")) {
            Path beside = Path.of(configLocation).toAbsolutePath().getParent().resolve(pricing.getFileName());
            if (Files.exists(beside)) {
                pricing = beside;
            }
        }
        String location = Files.exists(pricing) || !configLocation.startsWith("classpath:")
                ? pricing.toString() : "classpath:config/" + pricing.getFileName();
        return PriceTable.parse(ConfigLoader.read(location), "pricing (" + location + ")");
    }

    /**
     * Starts a proxy, drained by a shutdown hook, and prints its banner on {@code out}; throws
     * ("cannot start: …") if it cannot start. {@code accessLines}: where access-log lines are
     * written, if to standard output (its drops are a metric).
     */
    static ProxyServer start(ProxyConfig config, PriceTable prices, String what, StdoutLines accessLines, PrintWriter out) {
        PrometheusMeterRegistry registry = ProxyServer.newRegistry();
        if (accessLines != null) {
            ProxyMetrics.accessLogDropped(registry, accessLines, StdoutLines::dropped);
        }
        Vertx vertx = ProxyServer.newVertx(registry);
        ProxyServer server;
        try {
            server = ProxyServer.start(vertx, config, prices, Clock.systemUTC(), registry,
                    Runtime.getRuntime().availableProcessors())
                    .await(config.gate().sidecar().handshakeTimeoutMs() + 10_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("cannot start: " + e.getMessage(), e);
        }
        long grace = config.shutdown().graceMs();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> drain(server, vertx, grace)));
        out.println("spendguard " + what + ": proxy on " + config.listen().host() + ":" + server.port()
                + ", admin on " + config.admin().endpoint().host() + ":" + server.adminPort()
                + ", gate " + config.gate().mode().label() + ", ledger " + config.ledger().kind().label()
                + ", pricing " + prices.version());
        return server;
    }

    /**
     * SIGTERM: drain (in-flight calls finish and settle) for up to shutdown.grace_ms, then exit.
     * Printed, not logged: java.util.logging shuts itself down in a hook of its own.
     */
    private static void drain(ProxyServer server, Vertx vertx, long grace) {
        long started = System.nanoTime();
        System.err.println("spendguard: draining (shutdown.grace_ms " + grace + ")");
        try {
            int left = server.drain(Duration.ofMillis(grace)).eventually(vertx::close)
                    .await(grace + 10_000, TimeUnit.MILLISECONDS);
            System.err.println(left == 0
                    ? "spendguard: drained in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms, exiting"
                    : "spendguard: " + left + " call(s) still in flight after " + grace + " ms (shutdown.grace_ms); exiting anyway");
        } catch (Exception e) {
            System.err.println("spendguard: shutdown: " + e.getMessage());
        }
        DrainSafeLogManager.resetAtExit();
    }
}
