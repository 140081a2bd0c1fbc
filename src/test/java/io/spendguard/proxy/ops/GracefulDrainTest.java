package io.spendguard.proxy.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spendguard.proxy.ProxyHarness;
import io.spendguard.proxy.ProxyServer;
import io.spendguard.proxy.engine.Approvals;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.ledger.memory.MemoryLedger;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.mock.MockProvider;
import io.spendguard.proxy.sidecar.server.SidecarServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a real proxy process in the middle of a slow stream: {@code /readyz} turns 503, a new
 * call gets 503 with {@code Retry-After}, the stream runs to its end, its settlement lands in the
 * ledger (our sidecar, in this JVM, owns it), and the process exits.
 */
class GracefulDrainTest {
    static final String STREAM = "{\"model\":\"gpt-test\",\"stream\":true,\"max_tokens\":100,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Count slowly\"}]}";

    @TempDir
    Path dir;
    private Vertx vertx;
    private MockProvider mock;
    private Engine engine;
    private SidecarServer sidecar;
    private ChildProxy child;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        mock = new MockProvider(vertx, MockProvider.Options.DEFAULT).listen("127.0.0.1", 0).await(10, TimeUnit.SECONDS);
        Clock clock = Clock.systemUTC();
        engine = new Engine(new MemoryLedger(clock), new Approvals(clock, Duration.ofHours(1)), clock, Duration.ofMinutes(15));
        engine.putBudget(new BudgetSpec("default", 1_000_000, "daily", "UTC", null, true, null)).await(5, TimeUnit.SECONDS);
        PrometheusMeterRegistry registry = ProxyServer.newRegistry();
        sidecar = SidecarServer.start(vertx, engine, new SidecarServer.Options(dir.resolve("adapter.sock"), "t-test", "usd_micros",
                Duration.ofSeconds(2), clock, new ProxyMetrics(registry))).await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        if (child != null) {
            child.kill();
        }
        sidecar.close().await(10, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private String config(long graceMs) {
        return """
                listen: { host: 127.0.0.1, port: 0 }
                admin: { host: 127.0.0.1, port: 0 }
                gate: { mode: sidecar, timeout_ms: 5000, sidecar: { socket: "%s", tenant_id: t-test, handshake_timeout_ms: 20000 } }
                providers:
                  openai: { base_url: "http://127.0.0.1:%d", api_key: "", timeout_ms: 60000 }
                pricing: "%s"
                shutdown: { grace_ms: %d }
                """.formatted(dir.resolve("adapter.sock"), mock.port(), Path.of("src/test/resources/pricing-test.yaml").toAbsolutePath(), graceMs);
    }

    private InputStream openStream(int chunks, long delayMs) throws Exception {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(child.uri("/v1/chat/completions"))
                .header("content-type", "application/json").header("authorization", "Bearer sk-client-drain-test")
                .header("x-mock-output-tokens", Integer.toString(chunks)).header("x-mock-chunk-delay-ms", Long.toString(delayMs))
                .POST(HttpRequest.BodyPublishers.ofString(STREAM)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private int readyz() throws Exception {
        return http.send(HttpRequest.newBuilder(child.admin("/readyz")).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void sigtermMidStreamLetsTheStreamFinishAndSettleThenExits() throws Exception {
        child = ChildProxy.start(dir, config(30_000));
        assertThat(readyz()).isEqualTo(200);
        String metrics = http.send(HttpRequest.newBuilder(child.admin("/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).as("serve writes access lines off the event loop and counts what it drops").contains("spendguard_access_log_dropped_total 0.0");
        BufferedReader stream = new BufferedReader(new InputStreamReader(openStream(40, 100), StandardCharsets.UTF_8));
        List<String> events = new ArrayList<>();
        events.add(stream.readLine());
        assertThat(events.get(0)).startsWith("data: {");

        child.terminate();
        ProxyHarness.await("/readyz reports the drain", () -> {
            try {
                return readyz() == 503;
            } catch (Exception e) {
                return false;
            }
        });
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(child.uri("/v1/chat/completions"))
                .header("content-type", "application/json").header("authorization", "Bearer sk-client-drain-test")
                .POST(HttpRequest.BodyPublishers.ofString(STREAM)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("retry-after")).hasValue("1");
        assertThat(new JsonObject(refused.body()).getJsonObject("error").getString("code")).isEqualTo("draining");
        assertThat(child.process.isAlive()).as("the stream is still running, so the proxy is too").isTrue();

        for (String line = stream.readLine(); line != null; line = stream.readLine()) {
            if (!line.isEmpty()) {
                events.add(line);
            }
        }
        assertThat(events).last().isEqualTo("data: [DONE]");
        assertThat(events.stream().filter(e -> e.contains("\"content\":\" mock\""))).hasSize(39);

        assertThat(child.process.waitFor(30, TimeUnit.SECONDS)).as("the process exits once drained").isTrue();
        assertThat(child.process.exitValue()).isEqualTo(143);
        BudgetState budget = engine.ledger().budget("default").await(5, TimeUnit.SECONDS);
        assertThat(budget.reservedMicros()).as("nothing left on hold").isZero();
        assertThat(budget.committedMicros()).as("the stream's cost was committed before exit").isPositive();
        assertThat(child.output()).contains("drained in");
        // the drained call's access-log line made it out, as one JSON object on a line, with no key in any output
        List<JsonObject> access = child.lines().stream().filter(l -> l.startsWith("{\"event\":\"call\"")).map(JsonObject::new).toList();
        assertThat(access).as(child.output()).hasSize(1);
        assertThat(access.get(0).getInteger("status")).isEqualTo(200);
        assertThat(access.get(0).getString("settlement")).isEqualTo("usage");
        assertThat(access.get(0).getLong("committed_usd_micros")).isEqualTo(budget.committedMicros());
        assertThat(child.output()).doesNotContain("sk-client-drain-test");
    }

    @Test
    void exitsAfterTheGracePeriodEvenWhenAStreamIsStillRunning() throws Exception {
        child = ChildProxy.start(dir, config(500));
        BufferedReader stream = new BufferedReader(new InputStreamReader(openStream(600, 100), StandardCharsets.UTF_8));
        assertThat(stream.readLine()).startsWith("data: {");
        child.terminate();
        // the stream would take a minute; the process must not wait for it
        assertThat(child.process.waitFor(30, TimeUnit.SECONDS)).as("exits after shutdown.grace_ms").isTrue();
        assertThat(child.output()).contains("still in flight after 500 ms (shutdown.grace_ms); exiting anyway");
    }
}
