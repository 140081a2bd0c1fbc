// Reserve+commit pairs per second and their latency against the PostgreSQL ledger, as the proxy
// uses it: one hot budget row, and many budgets; each beside the same on the leaves of a budget tree
// three levels deep (org -> team -> key: every pair holds and settles on all three levels). Needs a server (e.g. `.ci/postgres.sh start DIR`);
// uses a fresh schema of its own. By hand:
//   ./mvnw -q -DskipTests package
//   java -cp target/spendguard-proxy.jar loadtest/PostgresLedgerBench.java --url postgresql://postgres@127.0.0.1:PORT/postgres
import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.postgres.PostgresLedger;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

public class PostgresLedgerBench {
    static final AtomicLong SEQ = new AtomicLong();

    public static void main(String[] args) throws Exception {
        List<String> a = Arrays.asList(args);
        String server = arg(a, "--url", System.getenv().getOrDefault("SPENDGUARD_TEST_PG_URL", ""));
        int pairs = Integer.parseInt(arg(a, "--pairs", "20000"));
        int pool = Integer.parseInt(arg(a, "--pool", "8"));
        Vertx vertx = Vertx.vertx();
        String schema = "bench_" + UUID.randomUUID().toString().replace("-", "");
        var admin = PgBuilder.client().connectingTo(PgConnectOptions.fromUri(server)).using(vertx).build();
        admin.query("CREATE SCHEMA " + schema).execute().await(30, TimeUnit.SECONDS);
        String url = server + (server.contains("?") ? "&" : "?") + "search_path=" + schema;
        Ledger ledger = PostgresLedger.open(vertx, url, pool, Clock.systemUTC(), AuditChain.ephemeral(Clock.systemUTC())).await(30, TimeUnit.SECONDS);
        try {
            List<String> flat = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                flat.add(put(ledger, "b" + i, null));
            }
            // A tree three levels deep: one org, 10 teams under it, 1,000 keys spread over the teams.
            put(ledger, "org", null);
            for (int t = 0; t < 10; t++) {
                put(ledger, "team" + t, "org");
            }
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                keys.add(put(ledger, "key" + i, "team" + (i % 10)));
            }
            String[] inFlights = arg(a, "--in-flight", "16,64,256").split(",");
            System.out.println("pool " + pool + ", " + pairs + " pairs per run");
            System.out.println("| budgets | in flight | pairs/s | p50 | p99 |");
            System.out.println("|---|---|---|---|---|");
            run(vertx, ledger, "1 (warm-up)", flat.subList(0, 1), 64, pairs / 4);
            run(vertx, ledger, "tree, 1 key (warm-up)", keys.subList(0, 1), 64, pairs / 4);
            for (String inFlight : inFlights) {
                // Flat and tree cases back to back, so each ratio compares runs under the same load.
                run(vertx, ledger, "1", flat.subList(0, 1), Integer.parseInt(inFlight), pairs);
                run(vertx, ledger, "tree, 1 key (depth 3)", keys.subList(0, 1), Integer.parseInt(inFlight), pairs);
            }
            for (String inFlight : inFlights) {
                run(vertx, ledger, "1000", flat, Integer.parseInt(inFlight), pairs);
                run(vertx, ledger, "tree, 1000 keys", keys, Integer.parseInt(inFlight), pairs);
            }
        } finally {
            ledger.close().await(30, TimeUnit.SECONDS);
            admin.query("DROP SCHEMA " + schema + " CASCADE").execute().await(30, TimeUnit.SECONDS);
            vertx.close();
        }
    }

    /** Keeps {@code inFlight} reserve+commit pairs going until {@code pairs} are done; prints the figures. */
    static String put(Ledger ledger, String id, String parent) throws Exception {
        ledger.putBudget(new BudgetSpec(id, Long.MAX_VALUE / 4, "none", "UTC", null, false, null, null, parent)).await(30, TimeUnit.SECONDS);
        return id;
    }

    static void run(Vertx vertx, Ledger ledger, String label, List<String> budgets, int inFlight, int pairs) throws Exception {
        long[] latencies = new long[pairs];
        AtomicLong started = new AtomicLong();
        AtomicLong done = new AtomicLong();
        Promise<Void> finished = Promise.promise();
        long t0 = System.nanoTime();
        vertx.runOnContext(v -> {
            for (int i = 0; i < inFlight; i++) {
                next(ledger, budgets, pairs, latencies, started, done, finished);
            }
        });
        finished.future().await(10, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Arrays.sort(latencies);
        System.out.printf("| %s | %d | %,.0f | %.1f ms | %.1f ms |%n", label, inFlight, pairs / seconds,
                latencies[pairs / 2] / 1e6, latencies[(int) (pairs * 0.99)] / 1e6);
    }

    static void next(Ledger ledger, List<String> budgets, int pairs, long[] latencies, AtomicLong started, AtomicLong done, Promise<Void> finished) {
        long n = started.getAndIncrement();
        if (n >= pairs) {
            return;
        }
        String budget = budgets.get(ThreadLocalRandom.current().nextInt(budgets.size()));
        String id = "r" + SEQ.incrementAndGet();
        long t = System.nanoTime();
        ledger.reserve(new Ledger.Reservation(id, budget, 100, Instant.now().plusSeconds(600), false))
                .compose(hold -> hold.granted() ? ledger.commit(id, 80) : Future.failedFuture("refused"))
                .onComplete(r -> {
                    if (r.failed()) {
                        finished.tryFail(r.cause());
                        return;
                    }
                    latencies[(int) n] = System.nanoTime() - t;
                    if (done.incrementAndGet() == pairs) {
                        finished.tryComplete();
                    } else {
                        next(ledger, budgets, pairs, latencies, started, done, finished);
                    }
                });
    }

    static String arg(List<String> a, String name, String def) {
        int i = a.indexOf(name);
        return i >= 0 && i + 1 < a.size() ? a.get(i + 1) : def;
    }
}
