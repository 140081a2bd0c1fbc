package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.mock.MockProvider;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guarantee 3 on SQLite: a proxy killed with SIGKILL while serving concurrent calls loses nothing.
 * After a restart on the same file every call that got a 2xx reply is committed at exactly the cost
 * it reported, and the only other spend is from calls whose reply the kill cut off (their commit
 * landed first); the holds of calls that were in flight are settled by the sweeper once their TTL
 * passes; and a reply stored for an idempotency key is still replayed.
 */
class SqliteCrashTest {
    private static final String BODY = "{\"model\":\"gpt-test\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    private static final long LIMIT_MICROS = 1_000_000_000L;

    @TempDir
    Path dir;
    private Vertx vertx;
    private MockProvider mock;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void startMock() throws Exception {
        vertx = Vertx.vertx();
        mock = new MockProvider(vertx, new MockProvider.Options(40, 0, 12)).listen("127.0.0.1", 0).await(10, TimeUnit.SECONDS);
        Files.writeString(dir.resolve("pricing.yaml"), ProxyHarness.resource("pricing-test.yaml"));
    }

    @AfterEach
    void stopMock() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private String config() {
        return """
                listen: { host: 127.0.0.1, port: 0 }
                admin: { host: 127.0.0.1, port: 0 }
                ledger: { kind: sqlite, path: "%s", reservation_ttl_ms: 8000, sweep_interval_ms: 250 }
                providers:
                  openai: { base_url: "http://127.0.0.1:%d", api_key: "sk-test", timeout_ms: 5000 }
                pricing: "%s"
                budgets:
                  - { id: default, limit_usd: %s, window: monthly, default: true }
                """.formatted(dir.resolve("ledger.db"), mock.port(), dir.resolve("pricing.yaml"), java.math.BigDecimal.valueOf(LIMIT_MICROS, 6).toPlainString());
    }

    private HttpRequest chat(ProxyProcess proxy, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(proxy.uri("/v1/chat/completions")).timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(BODY));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    private JsonObject budget(ProxyProcess proxy) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(proxy.admin("/v1/budgets/default")).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return new JsonObject(r.body());
    }

    private long reserved(ProxyProcess proxy) {
        try {
            return budget(proxy).getLong("reserved_usd_micros");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reservation id → [state, spent] as the ledger file holds them. */
    private Map<String, Object[]> reservations() throws Exception {
        Map<String, Object[]> out = new HashMap<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("ledger.db"));
             ResultSet rs = c.createStatement().executeQuery("SELECT id, state, spent FROM reservations")) {
            while (rs.next()) {
                out.put(rs.getString(1), new Object[] {rs.getString(2), rs.getLong(3)});
            }
        }
        return out;
    }

    private static long spent(Map<String, Object[]> reservations, String... states) {
        List<String> wanted = List.of(states);
        return reservations.values().stream().filter(r -> wanted.contains((String) r[0])).mapToLong(r -> (Long) r[1]).sum();
    }

    @Test
    void killedMidTrafficTheLedgerStillHoldsEveryCostThatWasReplied() throws Exception {
        ProxyProcess first = ProxyProcess.start(dir, "proxy", config());
        HttpResponse<String> kept = http.send(chat(first, "Idempotency-Key", "crash-k1"), HttpResponse.BodyHandlers.ofString());
        assertThat(kept.statusCode()).isEqualTo(200);

        Map<String, Long> replied = new ConcurrentHashMap<>();
        replied.put(decisionOf(kept), cost(kept));
        AtomicInteger unanswered = new AtomicInteger();
        AtomicBoolean killed = new AtomicBoolean();
        List<CompletableFuture<Void>> clients = new ArrayList<>();
        for (int c = 0; c < 16; c++) {
            clients.add(CompletableFuture.runAsync(() -> {
                while (!killed.get()) {
                    try {
                        HttpResponse<String> r = http.send(chat(first), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            replied.put(decisionOf(r), cost(r));
                        }
                    } catch (Exception e) {
                        unanswered.incrementAndGet();
                    }
                }
            }));
        }
        ProxyHarness.await("traffic under way", 60, () -> replied.size() > 40);
        first.kill();
        killed.set(true);
        CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

        try (ProxyProcess second = first.restart()) {
            Map<String, Object[]> ledger = reservations();
            for (Map.Entry<String, Long> r : replied.entrySet()) {
                assertThat(ledger.get("res_" + r.getKey())).as("the reply to decision %s was paid for", r.getKey())
                        .containsExactly("committed", r.getValue());
            }
            long repliedCost = replied.values().stream().mapToLong(Long::longValue).sum();
            JsonObject after = budget(second);
            assertThat(after.getLong("committed_usd_micros")).as("the budget is the sum of what its reservations spent")
                    .isEqualTo(spent(ledger, "committed", "expired_committed"))
                    .isGreaterThanOrEqualTo(repliedCost);
            assertThat(ledger.values().stream().filter(r -> r[0].equals("committed")).count() - replied.size())
                    .as("spend beyond the replies comes only from calls whose reply the kill cut off (%d)", unanswered.get())
                    .isBetween(0L, (long) unanswered.get());

            HttpResponse<String> again = http.send(chat(second, "Idempotency-Key", "crash-k1"), HttpResponse.BodyHandlers.ofString());
            assertThat(again.statusCode()).isEqualTo(200);
            assertThat(again.headers().firstValue("X-SpendGuard-Idempotent-Replay")).hasValue("true");
            assertThat(again.body()).isEqualTo(kept.body());

            ProxyHarness.await("the holds of calls cut by the kill are swept after their TTL", 60, () -> reserved(second) == 0);
            Map<String, Object[]> swept = reservations();
            assertThat(swept.values()).as("no hold outlives its TTL").noneMatch(r -> r[0].equals("held"));
            assertThat(budget(second).getLong("committed_usd_micros"))
                    .as("calls sent when the proxy died are committed at their hold (the provider may bill them)")
                    .isEqualTo(spent(swept, "committed", "expired_committed"));
        }
    }

    private static String decisionOf(HttpResponse<String> r) {
        return r.headers().firstValue("X-SpendGuard-Decision-Id").orElseThrow();
    }

    private static long cost(HttpResponse<String> r) {
        return Long.parseLong(r.headers().firstValue("X-SpendGuard-Cost-Usd-Micros").orElseThrow());
    }

    private int reservationCount() {
        try {
            return reservations().size();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private long level(ProxyProcess proxy, String id, String field) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(proxy.admin("/v1/budgets/" + id)).timeout(Duration.ofSeconds(10))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return new JsonObject(r.body()).getLong(field);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void killedWithHoldsOnATreeEveryLevelIsSettledAfterTheRestart() throws Exception {
        String yaml = config().replace("  - { id: default, limit_usd:", """
                  - { id: key, parent: team, limit_usd: 100 }
                  - { id: team, parent: org, limit_usd: 200 }
                  - { id: org, limit_usd: 300, window: monthly }
                  - { id: default, limit_usd:""") + "auth: { trust_budget_header: true }\n";
        ProxyProcess first = ProxyProcess.start(dir, "tree", yaml);
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            inFlight.add(http.sendAsync(chat(first, "X-SpendGuard-Budget-Id", "key", "x-mock-latency-ms", "20000"),
                    HttpResponse.BodyHandlers.ofString()));
        }
        ProxyHarness.await("five holds on every level", () -> level(first, "org", "reserved_usd_micros") > 0
                && level(first, "key", "reserved_usd_micros") == level(first, "org", "reserved_usd_micros")
                && level(first, "team", "reserved_usd_micros") == level(first, "org", "reserved_usd_micros")
                && reservationCount() == 5);
        long held = level(first, "org", "reserved_usd_micros");
        first.kill();

        try (ProxyProcess second = first.restart()) {
            ProxyHarness.await("the holds cut by the kill are swept on every level", 60,
                    () -> level(second, "key", "reserved_usd_micros") == 0 && level(second, "team", "reserved_usd_micros") == 0
                            && level(second, "org", "reserved_usd_micros") == 0);
            for (String id : List.of("key", "team", "org")) {
                assertThat(level(second, id, "committed_usd_micros")).as(id + ": the forwarded holds committed in full").isEqualTo(held);
            }
        }
        inFlight.forEach(f -> f.exceptionally(e -> null));
    }
}
