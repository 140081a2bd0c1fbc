package io.spendguard.proxy;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spendguard.proxy.config.ConfigException;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.estimate.PriceTable;
import io.spendguard.proxy.http.AccessLog;
import io.spendguard.proxy.logging.DrainSafeLogManager;
import io.spendguard.proxy.logging.StdoutLines;
import io.spendguard.proxy.mock.MockProvider;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The command line: {@code demo}, {@code serve --config FILE}, {@code sidecar --config FILE},
 * {@code mock-provider --port N}, {@code audit verify|export --config FILE}, {@code audit keygen --out PATH}.
 */
public final class Main {
    private static final String USAGE = """
            usage: spendguard-proxy <command> [options]
              demo                          proxy on :8080, admin on :8081, embedded engine, built-in mock provider
              serve --config FILE           run the proxy from a config file
              sidecar --config FILE         serve the engine over the SpendGuard sidecar protocol [--socket PATH] [--drain-seconds N]
              mock-provider --port N        a fake OpenAI server [--host H] [--latency-ms N] [--chunk-delay-ms N] [--output-tokens N]
              audit verify --config FILE    recompute the audit chain and its signatures (exit 0: intact, 1: not)
              audit export --config FILE    the audit records as CloudEvents JSON lines [--out PATH] [--since SEQ]
              audit keygen --out PATH       a new audit signing key file (0600) for replicas sharing a ledger
            """;

    private Main() { }

    public static void main(String[] args) {
        System.setProperty("java.util.logging.manager", DrainSafeLogManager.class.getName());
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s - %5$s%6$s%n");
        if (args.length == 0) {
            System.err.print(USAGE);
            System.exit(2);
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        try {
            switch (args[0]) {
                case "demo" -> Demo.run(rest);
                case "serve" -> serve(option(rest, "--config", "config/spendguard.yaml"));
                case "sidecar" -> SidecarCommand.run(rest);
                case "mock-provider" -> mockProvider(rest);
                case "audit" -> System.exit(AuditCommand.run(rest, System.out));
                default -> {
                    System.err.print(USAGE);
                    System.exit(2);
                }
            }
        } catch (ConfigException e) {
            System.err.println("spendguard: invalid configuration: " + e.getMessage());
            System.exit(1);
        } catch (Exception e) {
            System.err.println("spendguard: " + e.getMessage());
            System.exit(1);
        }
    }

    static String option(List<String> args, String name, String def) {
        int i = args.indexOf(name);
        if (i < 0) {
            return def;
        }
        if (i + 1 >= args.size()) {
            throw new ConfigException(name + ": missing value");
        }
        return args.get(i + 1);
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

    private static void serve(String location) {
        // One JSON object per line on stdout, for the log shipper; everything else stays on stderr.
        StdoutLines lines = DrainSafeLogManager.messagesToStdout(AccessLog.logger());
        ProxyConfig config = ConfigLoader.load(location, System::getenv);
        PriceTable prices = prices(config, location);
        start(config, prices, "serve", lines);
    }

    /**
     * Starts a proxy and blocks the main thread until shutdown; exits non-zero if it cannot start.
     * {@code accessLines}: where access-log lines are written, if to standard output (its drops are a metric).
     */
    static ProxyServer start(ProxyConfig config, PriceTable prices, String what, StdoutLines accessLines) {
        PrometheusMeterRegistry registry = ProxyServer.newRegistry();
        if (accessLines != null) {
            FunctionCounter.builder("spendguard.access.log.dropped", accessLines, StdoutLines::dropped)
                    .description("access-log lines dropped because standard output was read too slowly").register(registry);
        }
        Vertx vertx = ProxyServer.newVertx(registry);
        try {
            ProxyServer server = ProxyServer.start(vertx, config, prices, Clock.systemUTC(), registry,
                    Runtime.getRuntime().availableProcessors())
                    .await(config.gate().sidecar().handshakeTimeoutMs() + 10_000, TimeUnit.MILLISECONDS);
            long grace = config.shutdown().graceMs();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                // SIGTERM: drain (in-flight calls finish and settle) for up to shutdown.grace_ms, then exit.
                // Printed, not logged: java.util.logging shuts itself down in a hook of its own.
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
            }));
            System.out.println("spendguard " + what + ": proxy on " + config.listen().host() + ":" + server.port()
                    + ", admin on " + config.admin().endpoint().host() + ":" + server.adminPort()
                    + ", gate " + config.gate().mode() + ", ledger " + config.ledger().kind()
                    + ", pricing " + prices.version());
            return server;
        } catch (Exception e) {
            System.err.println("spendguard: cannot start: " + e.getMessage());
            vertx.close();
            System.exit(1);
            return null;
        }
    }

    private static void mockProvider(List<String> args) {
        Function<String, Long> num = name -> Long.parseLong(option(args, name, "0"));
        MockProvider.Options options = new MockProvider.Options(num.apply("--latency-ms"), num.apply("--chunk-delay-ms"),
                Integer.parseInt(option(args, "--output-tokens", "12")));
        Vertx vertx = Vertx.vertx();
        try {
            MockProvider mock = new MockProvider(vertx, options)
                    .listen(option(args, "--host", "127.0.0.1"), Integer.parseInt(option(args, "--port", "0")))
                    .await(10, TimeUnit.SECONDS);
            System.out.println("mock provider on port " + mock.port());
        } catch (Exception e) {
            System.err.println("mock-provider: cannot start: " + e.getMessage());
            System.exit(1);
        }
    }
}
