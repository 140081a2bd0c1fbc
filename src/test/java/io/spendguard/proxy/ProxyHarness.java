package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spendguard.proxy.cli.SidecarCommand;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.sidecar.server.SidecarServer;
import io.vertx.core.http.HttpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.gate.Gate;
import io.spendguard.proxy.gate.LocalGate;
import io.spendguard.proxy.estimate.PriceTable;
import io.spendguard.proxy.mock.MockProvider;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;

/**
 * A real proxy on 127.0.0.1 (port 0) in front of a real mock provider, with its own Vert.x and
 * metrics registry. Tests talk to it over HTTP like any client.
 */
public final class ProxyHarness implements AutoCloseable {
    public static final PriceTable PRICES = PriceTable.parse(resource("pricing-test.yaml"), "pricing-test.yaml");

    public final Vertx vertx;
    public final PrometheusMeterRegistry registry;
    public final MockProvider mock;
    public final ProxyServer server;
    /** HTTP/1.1, as the provider SDKs speak it. */
    public final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    /** Whoever owns the budgets: the proxy's own engine, or the sidecar's. */
    private final Engine budgets;
    private final Sidecar sidecar;

    private ProxyHarness(Vertx vertx, PrometheusMeterRegistry registry, MockProvider mock, ProxyServer server, Sidecar sidecar) {
        this.vertx = vertx;
        this.registry = registry;
        this.mock = mock;
        this.server = server;
        this.sidecar = sidecar;
        this.budgets = sidecar == null ? server.engine() : sidecar.engine;
    }

    /**
     * Our sidecar on a temporary Unix socket, with the budgets of the config and its own admin API
     * (where approvals are resolved in this shape) and its own metrics.
     */
    private record Sidecar(Path dir, Engine engine, SidecarServer server, HttpServer admin, SidecarCommand.Running running) {
        /** Started as the {@code sidecar} command starts it, with the config's budgets, contracts and admin settings. */
        static Sidecar start(Vertx vertx, ProxyConfig config) throws Exception {
            Path dir = Files.createTempDirectory("sg-sidecar");
            PrometheusMeterRegistry own = ProxyServer.newRegistry();
            SidecarCommand.Running running = SidecarCommand.start(vertx, config, new SidecarServer.Options(dir.resolve("adapter.sock"),
                    "t-test", "usd_micros", Duration.ofSeconds(2), Clock.systemUTC(), new ProxyMetrics(own)), own)
                    .await(10, TimeUnit.SECONDS);
            return new Sidecar(dir, running.engine(), running.sidecar(), running.admin(), running);
        }

        /** The proxy's config, pointed at this sidecar. */
        String gateYaml(String yaml) {
            return yaml.replaceFirst("gate: \\{ timeout_ms: (\\d+) }", "gate: { mode: sidecar, timeout_ms: $1, sidecar: { socket: \""
                    + dir.resolve("adapter.sock") + "\", tenant_id: t-test, handshake_timeout_ms: 5000 } }");
        }

        void close() throws Exception {
            admin.close().await(5, TimeUnit.SECONDS);
            server.close().await(5, TimeUnit.SECONDS);
            Files.deleteIfExists(dir.resolve("adapter.sock"));
            Files.deleteIfExists(dir);
        }
    }

    /** Starts with the given YAML fragments; {@code MOCK_URL} in them is replaced by the mock's URL. */
    public static ProxyHarness start(String yaml) throws Exception {
        return start(yaml, (vertx, engine) -> new LocalGate(engine));
    }

    /** Starts the proxy in {@code gate.mode: sidecar} in front of our sidecar, which owns the config's budgets. */
    public static ProxyHarness startWithSidecar(String yaml) throws Exception {
        PrometheusMeterRegistry registry = ProxyServer.newRegistry();
        Vertx vertx = ProxyServer.newVertx(registry);
        MockProvider mock = new MockProvider(vertx, MockProvider.Options.DEFAULT).listen("127.0.0.1", 0).await(10, TimeUnit.SECONDS);
        String text = yaml.replace("MOCK_URL", "http://127.0.0.1:" + mock.port());
        Sidecar sidecar = Sidecar.start(vertx, ConfigLoader.parse(text, name -> null, "test"));
        ProxyConfig config = ConfigLoader.parse(sidecar.gateYaml(text), name -> null, "test");
        ProxyServer server = ProxyServer.start(vertx, config, PRICES, Clock.systemUTC(), registry, 1).await(10, TimeUnit.SECONDS);
        return new ProxyHarness(vertx, registry, mock, server, sidecar);
    }

    /** Starts with the embedded engine reading time from {@code clock}. */
    public static ProxyHarness start(String yaml, Clock clock) throws Exception {
        return start(yaml, (vertx, engine) -> new LocalGate(engine), clock);
    }

    /** Starts with a gate built around the engine by {@code gates}. */
    public static ProxyHarness start(String yaml, BiFunction<Vertx, Engine, Gate> gates) throws Exception {
        return start(yaml, gates, Clock.systemUTC());
    }

    private static ProxyHarness start(String yaml, BiFunction<Vertx, Engine, Gate> gates, Clock clock) throws Exception {
        PrometheusMeterRegistry registry = ProxyServer.newRegistry();
        Vertx vertx = ProxyServer.newVertx(registry);
        MockProvider mock = new MockProvider(vertx, MockProvider.Options.DEFAULT).listen("127.0.0.1", 0).await(10, TimeUnit.SECONDS);
        String text = yaml.replace("MOCK_URL", "http://127.0.0.1:" + mock.port());
        ProxyConfig config = ConfigLoader.parse(text, name -> null, "test");
        ProxyServer server = ProxyServer.start(vertx, config, PRICES, clock, registry, 1,
                engine -> gates.apply(vertx, engine)).await(10, TimeUnit.SECONDS);
        return new ProxyHarness(vertx, registry, mock, server, null);
    }

    /** A config with one default budget of {@code limitMicros} and the given extra top-level YAML. */
    public static String config(long limitMicros, String budgetExtra, String extra) {
        return """
                listen: { host: 127.0.0.1, port: 0 }
                admin: { host: 127.0.0.1, port: 0 }
                ledger: { kind: memory }
                gate: { timeout_ms: 2000 }
                providers:
                  openai: { base_url: "MOCK_URL", api_key: "", timeout_ms: 2000 }
                  anthropic: { base_url: "MOCK_URL", api_key: "", timeout_ms: 2000 }
                budgets:
                  - id: default
                    limit_usd: %s
                    window: daily
                    default: true
                %s
                limits: { max_body_bytes: 65536 }
                %s
                """.formatted(java.math.BigDecimal.valueOf(limitMicros, 6).toPlainString(), budgetExtra.indent(4).stripTrailing(), extra);
    }

    /** {@code yaml} (from {@link #config}) with its memory ledger replaced by {@code ledger}, a YAML flow mapping. */
    public static String withLedger(String yaml, String ledger) {
        if (!yaml.contains("ledger: { kind: memory }")) {
            throw new IllegalArgumentException("no memory ledger line to replace");
        }
        return yaml.replace("ledger: { kind: memory }", "ledger: " + ledger);
    }

    /** The test price table as a file, for a proxy in another process ({@code pricing:}). */
    public static Path pricingFile() {
        try {
            return Path.of(ProxyHarness.class.getClassLoader().getResource("pricing-test.yaml").toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String resource(String name) {
        try (InputStream in = ProxyHarness.class.getClassLoader().getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("missing test resource " + name, e);
        }
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    /** The admin API that owns budgets and approvals: the proxy's, or in sidecar mode the sidecar's. */
    public URI admin(String path) {
        return URI.create("http://127.0.0.1:" + (sidecar == null ? server.adminPort() : sidecar.admin.actualPort()) + path);
    }

    public boolean sidecarMode() {
        return sidecar != null;
    }

    /** POSTs a chat completion with a client key and the given header pairs. */
    public HttpResponse<String> chat(String body, String... headers) throws Exception {
        return post("/v1/chat/completions", body, headers);
    }

    public HttpRequest chatRequest(String body, String... headers) {
        return request("/v1/chat/completions", body, headers);
    }

    /** POSTs {@code body} to the data-plane {@code path} with a client key and the given header pairs. */
    public HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        return http.send(request(path, body, headers), HttpResponse.BodyHandlers.ofString());
    }

    public HttpRequest request(String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
                .timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json")
                .header("authorization", "Bearer sk-client-secret-1234")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    public HttpResponse<String> adminPost(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(admin(path)).timeout(Duration.ofSeconds(20)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> adminGet(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(admin(path)).timeout(Duration.ofSeconds(20)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The engine that owns the budgets: the proxy's, or in sidecar mode the sidecar's. */
    public Engine budgets() {
        return budgets;
    }

    public BudgetState budget(String id) throws Exception {
        return budgets.ledger().budget(id).await(5, TimeUnit.SECONDS);
    }

    /** The sum of a counter over all its tag combinations matching the given tag pairs. */
    public double counter(String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
    }

    public double settlements() {
        return counter("spendguard.settlements");
    }

    /** Waits (polling, bounded) until {@code condition} holds; fails with {@code what} otherwise. */
    public static void await(String what, BooleanSupplier condition) throws InterruptedException {
        await(what, 10, condition);
    }

    /** Polls {@code condition} until it holds, failing after {@code seconds}. */
    public static void await(String what, long seconds, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }

    /**
     * Sends {@code calls} chat completions at once, each billed its full claim by the mock (so a
     * finished call never frees room for a late one), and counts the replies by status.
     */
    public java.util.Map<Integer, Long> concurrentChats(int calls, String body) {
        java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> sent = new java.util.ArrayList<>();
        for (int i = 0; i < calls; i++) {
            sent.add(http.sendAsync(chatRequest(body, "x-mock-latency-ms", "300", "x-mock-output-tokens", "50"),
                    HttpResponse.BodyHandlers.ofString()));
        }
        java.util.Map<Integer, Long> byStatus = new java.util.TreeMap<>();
        sent.forEach(c -> byStatus.merge(c.join().statusCode(), 1L, Long::sum));
        return byStatus;
    }

    /** Asserts the ledger holds nothing and every settlement landed exactly {@code count} times, none failing. */
    public void assertSettled(double count, String budgetId) throws Exception {
        await(count + " settlement(s)", () -> settlements() >= count);
        assertThat(settlements()).as("settlements").isEqualTo(count);
        assertThat(counter("spendguard.settlement.failures")).as("settlement failures").isZero();
        assertThat(budget(budgetId).reservedMicros()).as("held µUSD").isZero();
    }

    public static JsonObject json(HttpResponse<String> r) {
        return new JsonObject(r.body());
    }

    @Override
    public void close() throws Exception {
        server.stop().await(10, TimeUnit.SECONDS);
        if (sidecar != null) {
            sidecar.close();
        }
        vertx.close().await(10, TimeUnit.SECONDS);
    }
}
