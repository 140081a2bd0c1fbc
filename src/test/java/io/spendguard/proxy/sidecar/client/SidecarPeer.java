package io.spendguard.proxy.sidecar.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * What the gate tests share: a Vert.x like production's (native transport preferred), a socket path
 * in a fresh directory, the gate's config and meters, and waiting helpers with a deadline.
 */
final class SidecarPeer {
    final Vertx vertx = Vertx.builder().with(new VertxOptions().setPreferNativeTransport(true)).build();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final ProxyMetrics metrics = new ProxyMetrics(registry);
    final Path dir;
    final Path socket;

    SidecarPeer() throws IOException {
        dir = Files.createTempDirectory("sg-gate");
        socket = dir.resolve("adapter.sock");
    }

    ProxyConfig config(long handshakeTimeoutMs) {
        return ConfigLoader.parse("gate: { mode: sidecar, sidecar: { socket: \"" + socket + "\", tenant_id: t-1, "
                + "handshake_timeout_ms: " + handshakeTimeoutMs + " } }", name -> null, "test");
    }

    FakeSidecar startFake() throws Exception {
        return await(FakeSidecar.start(vertx, socket));
    }

    SidecarGate connect() throws Exception {
        return await(SidecarGate.connect(vertx, config(5_000), metrics));
    }

    /** A call with no idempotency key, run id or approval. */
    static DecisionRequest request(String decisionId, long claimMicros) {
        return new DecisionRequest(decisionId, null, claimMicros, "gpt-4o-mini", "hash-" + decisionId, null, null, null,
                120, 256, "prices-1", false);
    }

    static DecisionRequest resume(DecisionRequest original, String decisionId, String approvalId, String requestHash) {
        return new DecisionRequest(decisionId, original.budgetId(), original.claimMicros(), original.model(), requestHash,
                original.runId(), approvalId, null, original.inputTokens(), original.outputTokens(), original.pricingVersion(), false);
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.await(10, TimeUnit.SECONDS);
    }

    /** Waits for {@code f} to fail and returns why. */
    static Throwable failure(Future<?> f) throws Exception {
        try {
            f.await(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            fail("still pending after 10 s");
        } catch (Exception e) {
            // the failure is read below
        }
        assertThat(f.failed()).as("failed").isTrue();
        return f.cause();
    }

    /** Waits, with a deadline, for something the gate does in the background (a reconnect, a drain). */
    static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("not within 10 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    double count(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    /** A proxy config in {@code gate.mode: sidecar} pointed at this peer's socket (tenant {@code t-1}). */
    String proxyConfig(long gateTimeoutMs) {
        return """
                listen: { host: 127.0.0.1, port: 0 }
                admin: { host: 127.0.0.1, port: 0 }
                ledger: { kind: memory }
                gate: { mode: sidecar, timeout_ms: %d, sidecar: { socket: "%s", tenant_id: t-1, handshake_timeout_ms: 5000 } }
                providers:
                  openai: { base_url: "MOCK_URL", api_key: "", timeout_ms: 2000 }
                """.formatted(gateTimeoutMs, socket);
    }

    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }
}
