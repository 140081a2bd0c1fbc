// Reserve + commit pairs against a ledger backend: pairs per second and p50 / p99 / p99.9 latency of
// one pair, on one hot budget row and spread over many budgets, each beside the same on the leaves of
// a budget tree three levels deep (org -> team -> key: every pair holds and settles on all three), for
// a fixed number of pairs with a fixed number in flight. Run through loadtest/ledger-bench.sh, or by hand:
//   java -cp target/spendguard-proxy.jar loadtest/LedgerBench.java --kind sqlite --path /tmp/bench.db
//   java -cp target/spendguard-proxy.jar loadtest/LedgerBench.java --kind postgres --url postgresql://postgres@127.0.0.1:5432/postgres
import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.memory.MemoryLedger;
import io.spendguard.proxy.ledger.postgres.PostgresLedger;
import io.spendguard.proxy.ledger.sqlite.SqliteLedger;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

public class LedgerBench {
    static final AtomicLong SEQ = new AtomicLong();

    public static void main(String[] args) throws Exception {
        List<String> a = Arrays.asList(args);
        String kind = arg(a, "--kind", "sqlite");
        int pairs = Integer.parseInt(arg(a, "--pairs", "50000"));
        int inFlight = Integer.parseInt(arg(a, "--in-flight", "64"));
        Vertx vertx = Vertx.vertx();
        Clock clock = Clock.systemUTC();
        Ledger ledger = switch (kind) {
            case "memory" -> new MemoryLedger(clock);
            case "sqlite" -> SqliteLedger.open(vertx, Path.of(arg(a, "--path", "/tmp/spendguard-bench/ledger.db")), clock, AuditChain.ephemeral(clock))
                    .await(10, TimeUnit.SECONDS);
            case "postgres" -> PostgresLedger.open(vertx, arg(a, "--url", ""), Integer.parseInt(arg(a, "--pool", "8")), clock, AuditChain.ephemeral(clock))
                    .await(10, TimeUnit.SECONDS);
            default -> throw new IllegalArgumentException("--kind: " + kind + " (expected memory, sqlite or postgres)");
        };
        String run = Long.toHexString(System.nanoTime());
        System.out.printf("ledger %s, %d pairs per case, %d in flight, %d cores%n", kind, pairs, inFlight,
                Runtime.getRuntime().availableProcessors());
        List<String> flat = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            flat.add(put(ledger, run + "-b" + i, null));
        }
        // A tree three levels deep: one org, 10 teams under it, 1,000 keys spread over the teams.
        put(ledger, run + "-org", null);
        for (int t = 0; t < 10; t++) {
            put(ledger, run + "-team" + t, run + "-org");
        }
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            keys.add(put(ledger, run + "-key" + i, run + "-team" + (i % 10)));
        }
        measure(vertx, ledger, "warm-up", pairs / 5, inFlight, flat.subList(0, 1));
        measure(vertx, ledger, "warm-up, tree", pairs / 5, inFlight, keys.subList(0, 1));
        measure(vertx, ledger, "hot row (1 budget)", pairs, inFlight, flat.subList(0, 1));
        measure(vertx, ledger, "tree, 1 key (depth 3)", pairs, inFlight, keys.subList(0, 1));
        measure(vertx, ledger, "many budgets (1000)", pairs, inFlight, flat);
        measure(vertx, ledger, "tree, 1000 keys", pairs, inFlight, keys);
        measure(vertx, ledger, "1 in flight, hot row", Math.max(1000, pairs / 10), 1, flat.subList(0, 1));
        measure(vertx, ledger, "1 in flight, tree key", Math.max(1000, pairs / 10), 1, keys.subList(0, 1));
        ledger.close().await(10, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    static String put(Ledger ledger, String id, String parent) throws Exception {
        ledger.putBudget(new BudgetSpec(id, Long.MAX_VALUE / 4, "monthly", "UTC", null, false, null, null, parent))
                .await(10, TimeUnit.SECONDS);
        return id;
    }

    static String arg(List<String> a, String name, String def) {
        int i = a.indexOf(name);
        return i >= 0 && i + 1 < a.size() ? a.get(i + 1) : def;
    }

    static void measure(Vertx vertx, Ledger ledger, String label, int pairs, int inFlight, List<String> budgets) throws Exception {
        long[] latencies = new long[pairs];
        AtomicLong started = new AtomicLong();
        AtomicLong finished = new AtomicLong();
        Promise<Void> done = Promise.promise();
        long t0 = System.nanoTime();
        vertx.runOnContext(v -> {
            for (int i = 0; i < Math.min(inFlight, pairs); i++) {
                next(ledger, budgets, pairs, latencies, started, finished, done);
            }
        });
        done.future().await(10, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Arrays.sort(latencies);
        System.out.printf("%-26s %8.0f pairs/s   p50 %6.2f ms   p99 %6.2f ms   p99.9 %6.2f ms%n", label, pairs / seconds,
                latencies[pairs / 2] / 1e6, latencies[(int) (pairs * 0.99)] / 1e6, latencies[(int) (pairs * 0.999)] / 1e6);
    }

    static void next(Ledger ledger, List<String> budgets, int pairs, long[] latencies, AtomicLong started, AtomicLong finished,
                     Promise<Void> done) {
        long n = started.getAndIncrement();
        if (n >= pairs) {
            return;
        }
        long t = System.nanoTime();
        String id = budgets.get(0) + "-r" + SEQ.incrementAndGet();
        Future<?> pair = ledger.reserve(new Ledger.Reservation(id, budgets.get((int) (n % budgets.size())), 1000, Instant.now().plusSeconds(600), true))
                .compose(h -> ledger.commit(id, 700));
        pair.onComplete(ar -> {
            if (ar.failed()) {
                done.tryFail(ar.cause());
                return;
            }
            latencies[(int) n] = System.nanoTime() - t;
            if (finished.incrementAndGet() == pairs) {
                done.tryComplete();
            } else {
                // Hop through the event loop: a ledger that answers at once would otherwise recurse.
                Vertx.currentContext().runOnContext(x -> next(ledger, budgets, pairs, latencies, started, finished, done));
            }
        });
    }
}
