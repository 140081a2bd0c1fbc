// Reserve+commit pairs per second and their latency against the PostgreSQL ledger, as the proxy
// uses it: one hot budget row, and many budgets. Needs a server (e.g. `.ci/postgres.sh start DIR`);
// uses a fresh schema of its own. By hand:
//   ./mvnw -q -DskipTests package
//   java -cp target/spendguard-proxy.jar loadtest/PostgresLedgerBench.java --url postgresql://postgres@127.0.0.1:PORT/postgres
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.Ledger;
import io.spendguard.proxy.engine.PostgresLedger;
import io.spendguard.proxy.engine.audit.AuditChain;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import java.time.Clock;
import java.time.Instant;
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
            for (int i = 0; i < 1000; i++) {
                ledger.putBudget(new BudgetSpec("b" + i, Long.MAX_VALUE / 4, "none", "UTC", null, false)).await(30, TimeUnit.SECONDS);
            }
            System.out.println("pool " + pool + ", " + pairs + " pairs per run");
            System.out.println("| budgets | in flight | pairs/s | p50 | p99 |");
            System.out.println("|---|---|---|---|---|");
            run(vertx, ledger, 1, 64, pairs / 4); // warm-up
            for (int budgets : new int[] {1, 1000}) {
                for (int inFlight : new int[] {16, 64, 256}) {
                    run(vertx, ledger, budgets, inFlight, pairs);
                }
            }
        } finally {
            ledger.close().await(30, TimeUnit.SECONDS);
            admin.query("DROP SCHEMA " + schema + " CASCADE").execute().await(30, TimeUnit.SECONDS);
            vertx.close();
        }
    }

    /** Keeps {@code inFlight} reserve+commit pairs going until {@code pairs} are done; prints the figures. */
    static void run(Vertx vertx, Ledger ledger, int budgets, int inFlight, int pairs) throws Exception {
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
        System.out.printf("| %d | %d | %,.0f | %.1f ms | %.1f ms |%n", budgets, inFlight, pairs / seconds,
                latencies[pairs / 2] / 1e6, latencies[(int) (pairs * 0.99)] / 1e6);
    }

    static void next(Ledger ledger, int budgets, int pairs, long[] latencies, AtomicLong started, AtomicLong done, Promise<Void> finished) {
        long n = started.getAndIncrement();
        if (n >= pairs) {
            return;
        }
        String budget = "b" + ThreadLocalRandom.current().nextInt(budgets);
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
