// Reserve + commit pairs against a ledger backend: pairs per second and p50 / p99 / p99.9 latency of
// one pair, on one hot budget row and spread over many budgets, for a fixed number of pairs with
// a fixed number in flight. Run through loadtest/ledger-bench.sh, or by hand:
//   java -cp target/spendguard-proxy.jar loadtest/LedgerBench.java --kind sqlite --path /tmp/bench.db
//   java -cp target/spendguard-proxy.jar loadtest/LedgerBench.java --kind postgres --url postgresql://postgres@127.0.0.1:5432/postgres
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.Ledger;
import io.spendguard.proxy.engine.MemoryLedger;
import io.spendguard.proxy.engine.PostgresLedger;
import io.spendguard.proxy.engine.SqliteLedger;
import io.spendguard.proxy.engine.audit.AuditChain;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
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
        for (int i = 0; i < 1000; i++) {
            ledger.putBudget(new BudgetSpec(run + "-b" + i, Long.MAX_VALUE / 4, "monthly", "UTC", null, false)).await(10, TimeUnit.SECONDS);
        }
        measure(vertx, ledger, run, "warm-up", pairs / 5, inFlight, 1);
        measure(vertx, ledger, run, "hot row (1 budget)", pairs, inFlight, 1);
        measure(vertx, ledger, run, "many budgets (1000)", pairs, inFlight, 1000);
        measure(vertx, ledger, run, "1 in flight, hot row", Math.max(1000, pairs / 10), 1, 1);
        ledger.close().await(10, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    static String arg(List<String> a, String name, String def) {
        int i = a.indexOf(name);
        return i >= 0 && i + 1 < a.size() ? a.get(i + 1) : def;
    }

    static void measure(Vertx vertx, Ledger ledger, String run, String label, int pairs, int inFlight, int budgets) throws Exception {
        long[] latencies = new long[pairs];
        AtomicLong started = new AtomicLong();
        AtomicLong finished = new AtomicLong();
        Promise<Void> done = Promise.promise();
        long t0 = System.nanoTime();
        vertx.runOnContext(v -> {
            for (int i = 0; i < Math.min(inFlight, pairs); i++) {
                next(ledger, run, budgets, pairs, latencies, started, finished, done);
            }
        });
        done.future().await(10, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Arrays.sort(latencies);
        System.out.printf("%-24s %8.0f pairs/s   p50 %6.2f ms   p99 %6.2f ms   p99.9 %6.2f ms%n", label, pairs / seconds,
                latencies[pairs / 2] / 1e6, latencies[(int) (pairs * 0.99)] / 1e6, latencies[(int) (pairs * 0.999)] / 1e6);
    }

    static void next(Ledger ledger, String run, int budgets, int pairs, long[] latencies, AtomicLong started, AtomicLong finished,
                     Promise<Void> done) {
        long n = started.getAndIncrement();
        if (n >= pairs) {
            return;
        }
        long t = System.nanoTime();
        String id = run + "-r" + SEQ.incrementAndGet();
        Future<?> pair = ledger.reserve(new Ledger.Reservation(id, run + "-b" + (n % budgets), 1000, Instant.now().plusSeconds(600), true))
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
                Vertx.currentContext().runOnContext(x -> next(ledger, run, budgets, pairs, latencies, started, finished, done));
            }
        });
    }
}
