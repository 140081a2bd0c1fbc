// RequestDecision round trips against a running `spendguard-proxy sidecar` over its Unix socket:
// p50 / p99 / p99.9 latency and decisions per second, for one client in sequence and for many
// concurrent calls, on one connection and on two (a proxy keeps one per event loop; the sidecar
// serves each on one of its loops); with --sidecar-pid, the sidecar's CPU per decision (Linux).
// Run through loadtest/sidecar-bench.sh (it starts the sidecar and prints the figures); by hand:
//   java -cp target/spendguard-proxy.jar loadtest/DecisionBench.java --socket /tmp/sg.sock [--sidecar-pid PID]
import io.spendguard.proto.adapter.v1.DecisionRequest;
import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.adapter.v1.HandshakeRequest;
import io.spendguard.proto.adapter.v1.SidecarAdapterGrpcClient;
import io.spendguard.proto.common.v1.BudgetClaim;
import io.spendguard.proto.common.v1.Idempotency;
import io.spendguard.proto.common.v1.SpendGuardIds;
import io.spendguard.proto.common.v1.UnitRef;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

public class DecisionBench {
    static final UnitRef UNIT = UnitRef.newBuilder().setUnitId("usd_micros").setKind(UnitRef.Kind.MONETARY)
            .setCurrency("USD").setUnitName("usd_micros").build();
    static final AtomicLong SEQ = new AtomicLong();

    public static void main(String[] args) throws Exception {
        List<String> a = Arrays.asList(args);
        String socket = arg(a, "--socket", "/tmp/spendguard-bench/adapter.sock");
        int requests = Integer.parseInt(arg(a, "--requests", "20000"));
        String tenant = arg(a, "--tenant", "");
        sidecarPid = Long.parseLong(arg(a, "--sidecar-pid", "0"));
        Vertx vertx = Vertx.builder().with(new VertxOptions().setPreferNativeTransport(true)).build();
        System.out.println("transport: " + (vertx.isNativeTransportEnabled() ? "native epoll" : "NIO (" + vertx.unavailableNativeTransportCause() + ")"));
        // one gRPC client per connection: each has a pool of its own
        List<GrpcClient> grpcs = new ArrayList<>();
        List<SidecarAdapterGrpcClient> clients = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            GrpcClient grpc = GrpcClient.client(vertx, new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                    .setHttp2ClearTextUpgrade(false));
            grpcs.add(grpc);
            clients.add(SidecarAdapterGrpcClient.create(grpc, SocketAddress.domainSocketAddress(socket)));
        }
        String session = clients.get(0).handshake(HandshakeRequest.newBuilder().setProtocolVersion(1).setRuntimeKind("egress-proxy")
                .setCapabilityLevel(HandshakeRequest.CapabilityLevel.L1_LLM_CALL).setTenantIdAssertion(tenant).build())
                .await(10, TimeUnit.SECONDS).getSessionId();

        List<SidecarAdapterGrpcClient> one = clients.subList(0, 1);
        run(clients, session, "warm-up", requests / 2, 16, false);
        run(one, session, "1 client, sequential", requests, 1, true);
        run(one, session, "16 concurrent", requests, 16, true);
        run(one, session, "64 concurrent", requests * 2, 64, true);
        run(clients, session, "64 concurrent, 2 conns", requests * 2, 64, true);
        for (GrpcClient grpc : grpcs) {
            grpc.close().await(5, TimeUnit.SECONDS);
        }
        vertx.close().await(5, TimeUnit.SECONDS);
    }

    static long sidecarPid;

    /** The sidecar's user + system CPU in clock ticks (1/100 s), or -1 without its pid. */
    static long sidecarTicks() throws Exception {
        if (sidecarPid == 0) {
            return -1;
        }
        String[] f = Files.readString(Path.of("/proc/" + sidecarPid + "/stat")).replaceAll(".*\\) ", "").split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    static String arg(List<String> a, String name, String def) {
        int i = a.indexOf(name);
        return i >= 0 && i + 1 < a.size() ? a.get(i + 1) : def;
    }

    static DecisionRequest request(String session) {
        String id = "bench-" + SEQ.incrementAndGet();
        return DecisionRequest.newBuilder().setSessionId(session).setTrigger(DecisionRequest.Trigger.LLM_CALL_PRE)
                .setRoute("llm.call")
                .setIds(SpendGuardIds.newBuilder().setRunId("bench").setStepId(id).setLlmCallId(id).setDecisionId(id))
                .setInputs(DecisionRequest.Inputs.newBuilder().setProjectedUnit(UNIT).addProjectedClaims(BudgetClaim.newBuilder()
                        .setUnit(UNIT).setAmountAtomic("1").setDirection(BudgetClaim.Direction.DEBIT)))
                .setIdempotency(Idempotency.newBuilder().setKey(id))
                .build();
    }

    /**
     * Keeps {@code concurrency} calls in flight until {@code total} have completed, spread over
     * {@code clients} in turn; prints the latency distribution.
     */
    static void run(List<SidecarAdapterGrpcClient> clients, String session, String name, int total, int concurrency, boolean print)
            throws Exception {
        long[] latencies = new long[total];
        AtomicLong started = new AtomicLong();
        AtomicLong done = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        Promise<Void> finished = Promise.promise();
        long ticks0 = sidecarTicks();
        long t0 = System.nanoTime();
        Runnable[] next = new Runnable[1];
        next[0] = () -> {
            long i = started.getAndIncrement();
            if (i >= total) {
                return;
            }
            long s = System.nanoTime();
            clients.get((int) (i % clients.size())).requestDecision(request(session)).onComplete(ar -> {
                latencies[(int) i] = System.nanoTime() - s;
                if (ar.failed() || ar.result().getDecision() != DecisionResponse.Decision.CONTINUE) {
                    refused.incrementAndGet();
                }
                if (done.incrementAndGet() == total) {
                    finished.tryComplete();
                } else {
                    next[0].run();
                }
            });
        };
        for (int c = 0; c < concurrency; c++) {
            next[0].run();
        }
        finished.future().await(10, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long ticks = sidecarTicks() - ticks0;
        Arrays.sort(latencies);
        if (print) {
            System.out.printf("%-24s %7d calls  %9.0f decisions/s  p50 %7.1f µs  p99 %7.1f µs  p99.9 %7.1f µs  max %8.1f µs  "
                            + "sidecar CPU %s µs/decision  not CONTINUE: %d%n",
                    name, total, total / seconds, pct(latencies, 50), pct(latencies, 99), pct(latencies, 99.9),
                    latencies[total - 1] / 1e3, ticks0 < 0 ? "–" : String.format("%.1f", ticks * 1e4 / total), refused.get());
        }
    }

    static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)] / 1e3;
    }
}
