package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.ledger.postgres.TestPostgres;
import io.spendguard.proxy.mock.MockProvider;
import io.vertx.core.Vertx;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a proxy on the PostgreSQL ledger while it serves concurrent traffic loses nothing
 * (SPEC §9.3): after a restart on the same database the committed total is exactly the cost of
 * every call that got a 2xx, and the holds of the calls that were in flight stay reserved until
 * their TTL passes, when the sweeper commits them at the held amount (they had reached the provider).
 */
class PostgresCrashTest {
    private static final int WORKERS = 12;
    private static final long SLOW_MS = 120_000;
    private static final long TTL_MS = 20_000;

    @TempDir
    Path dir;
    private final Vertx vertx = Vertx.vertx();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void committedTotalAfterKillAndRestartIsTheCostOfEvery2xxAndHoldsInFlightAreSweptAfterTheirTtl() throws Exception {
        TestPostgres db = TestPostgres.freshSchema();
        open.add(db);
        MockProvider mock = new MockProvider(vertx, MockProvider.Options.DEFAULT).listen("127.0.0.1", 0).await(10, TimeUnit.SECONDS);
        long claim = ChatCompletionsTest.claim(ChatCompletionsTest.BODY);
        ProxyProcess proxy = ProxyProcess.start(dir, "proxy", PostgresProxies.config(db, mock, 1_000_000_000L, TTL_MS, SLOW_MS + 60_000));
        open.add(proxy);

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        AtomicLong billed = new AtomicLong();
        AtomicLong replies = new AtomicLong();
        AtomicBoolean slow = new AtomicBoolean();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            Thread t = new Thread(() -> {
                while (true) {
                    boolean last = slow.get();
                    try {
                        HttpResponse<String> r = http.send(PostgresProxies.chat(proxy, last ? SLOW_MS : ThreadLocalRandom.current().nextLong(30)),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() / 100 == 2) {
                            billed.addAndGet(r.headers().firstValueAsLong("X-SpendGuard-Cost-Usd-Micros").orElseThrow());
                            replies.incrementAndGet();
                        }
                    } catch (Exception e) {
                        return; // the proxy died under this call
                    }
                    if (last) {
                        return;
                    }
                }
            });
            t.start();
            workers.add(t);
        }
        waitFor("traffic flowing", () -> replies.get() >= 60);
        // Every worker's next call stalls at the provider: the kill then lands while WORKERS calls are
        // held and forwarded, and no call is between its commit and its reply.
        slow.set(true);
        waitFor("every worker in a stalled call", () -> mock.received().stream()
                .filter(r -> Long.toString(SLOW_MS).equals(r.headers().get("x-mock-latency-ms"))).count() == WORKERS);
        proxy.kill();
        for (Thread t : workers) {
            t.join(30_000);
        }

        assertThat(committed(db)).as("committed after the kill = cost of every 2xx").isEqualTo(billed.get());
        assertThat(reserved(db)).as("the stalled calls' holds").isEqualTo(WORKERS * claim);

        proxy.restart();
        assertThat(committed(db)).as("after the restart").isEqualTo(billed.get());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TTL_MS + 60_000);
        while (reserved(db) != 0) {
            assertThat(System.nanoTime()).as("holds swept within their TTL plus a minute").isLessThan(deadline);
            Thread.sleep(200);
        }
        assertThat(committed(db)).as("forwarded holds are committed at the held amount")
                .isEqualTo(billed.get() + WORKERS * claim);
        // the sweeper logs once its transaction has committed, a moment after the rows read as swept
        waitFor("the sweeper's log line", () -> {
            try {
                return sweptAndCommitted(proxy.log()) >= WORKERS;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(sweptAndCommitted(proxy.log())).as("holds the sweeper committed, from its log").isEqualTo(WORKERS);

        HttpResponse<String> after = http.send(PostgresProxies.chat(proxy, 0), HttpResponse.BodyHandlers.ofString());
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(committed(db)).isEqualTo(billed.get() + WORKERS * claim
                + after.headers().firstValueAsLong("X-SpendGuard-Cost-Usd-Micros").orElseThrow());
        mock.close().await(5, TimeUnit.SECONDS);
    }

    /** Polls {@code condition} for up to a minute: the machine may be busy, the proxy is another JVM. */
    private static void waitFor(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("timed out waiting for: " + what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static int sweptAndCommitted(String log) {
        Matcher m = Pattern.compile("settled \\d+ expired holds \\((\\d+) committed").matcher(log);
        int committed = 0;
        while (m.find()) {
            committed += Integer.parseInt(m.group(1));
        }
        return committed;
    }

    private static long committed(TestPostgres db) throws Exception {
        return db.number("SELECT committed FROM budgets WHERE id = 'default'");
    }

    private static long reserved(TestPostgres db) throws Exception {
        return db.number("SELECT reserved FROM budgets WHERE id = 'default'");
    }
}
