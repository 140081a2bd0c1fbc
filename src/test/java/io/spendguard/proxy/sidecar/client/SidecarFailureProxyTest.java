package io.spendguard.proxy.sidecar.client;

import static io.spendguard.proxy.sidecar.client.SidecarPeer.await;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.ProxyHarness;
import io.spendguard.proxy.engine.Approvals;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.ledger.IdempotencyStore;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.RunState;
import io.spendguard.proxy.ledger.memory.MemoryLedger;
import io.spendguard.proxy.sidecar.server.SidecarServer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy in sidecar mode when the sidecar fails: too slow → 503 and the hold that lands late is
 * released; slow to settle → the reply does not wait, the settlement lands later; killed → 503 (fail
 * closed), and served again once a sidecar is back on the socket.
 */
class SidecarFailureProxyTest {
    private static final String BODY = "{\"model\":\"gpt-test\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";

    /**
     * A ledger behind a slow database: reservations answer {@code delayMs} late, commits
     * {@code commitDelayMs} late; settlements are counted.
     */
    static final class SlowLedger implements Ledger {
        final Ledger inner;
        final Vertx vertx;
        volatile long delayMs;
        volatile long commitDelayMs;
        final AtomicInteger reserved = new AtomicInteger();
        final AtomicInteger released = new AtomicInteger();

        SlowLedger(Ledger inner, Vertx vertx) {
            this.inner = inner;
            this.vertx = vertx;
        }

        @Override
        public Future<BudgetState> putBudget(BudgetSpec spec) {
            return inner.putBudget(spec);
        }

        @Override
        public Future<BudgetState> createBudget(BudgetSpec spec) {
            return inner.createBudget(spec);
        }

        @Override
        public Future<BudgetState> budget(String id) {
            return inner.budget(id);
        }

        @Override
        public Future<List<BudgetState>> budgets() {
            return inner.budgets();
        }

        @Override
        public Future<Hold> reserve(Reservation r) {
            if (delayMs == 0) {
                return inner.reserve(r).onSuccess(h -> reserved.incrementAndGet());
            }
            Promise<Hold> late = Promise.promise();
            vertx.setTimer(delayMs, t -> inner.reserve(r).onSuccess(h -> reserved.incrementAndGet()).onComplete(late));
            return late.future();
        }

        @Override
        public Future<BudgetState> deleteBudget(String id) {
            return inner.deleteBudget(id);
        }

        @Override
        public Future<List<Expired>> sweep(Instant now) {
            return inner.sweep(now);
        }

        @Override
        public Future<RunState> run(String id) {
            return inner.run(id);
        }

        @Override
        public Future<List<RunState>> runs(String budgetId, Boolean stopped, int limit) {
            return inner.runs(budgetId, stopped, limit);
        }

        @Override
        public Future<RunState> stopRun(String id, String budgetId, String reason) {
            return inner.stopRun(id, budgetId, reason);
        }

        @Override
        public Future<Integer> forgetRuns(Instant idleBefore) {
            return inner.forgetRuns(idleBefore);
        }

        @Override
        public IdempotencyStore idempotency() {
            return inner.idempotency();
        }

        @Override
        public io.spendguard.proxy.audit.AuditLog audit() {
            return inner.audit();
        }

        @Override
        public Future<Void> close() {
            return inner.close();
        }

        @Override
        public Future<Settled> commit(String reservationId, long amount) {
            if (commitDelayMs == 0) {
                return inner.commit(reservationId, amount);
            }
            Promise<Settled> late = Promise.promise();
            vertx.setTimer(commitDelayMs, t -> inner.commit(reservationId, amount).onComplete(late));
            return late.future();
        }

        @Override
        public Future<Settled> release(String reservationId) {
            return inner.release(reservationId).onSuccess(s -> released.incrementAndGet());
        }
    }

    private SidecarPeer peer;
    private SlowLedger ledger;
    private Engine engine;
    private SidecarServer sidecar;
    private ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        peer = new SidecarPeer();
        Clock clock = Clock.systemUTC();
        ledger = new SlowLedger(new MemoryLedger(clock), peer.vertx);
        engine = new Engine(ledger, new Approvals(clock, Duration.ofHours(24)), clock, Duration.ofMinutes(15));
        await(engine.putBudget(new BudgetSpec("team", 1_000_000, "daily", "UTC", null, true)));
        sidecar = startSidecar();
        proxy = ProxyHarness.start(peer.proxyConfig(200));
    }

    private SidecarServer startSidecar() throws Exception {
        return await(SidecarServer.start(peer.vertx, engine, new SidecarServer.Options(peer.socket, "t-1", "usd_micros",
                Duration.ofSeconds(1), Clock.systemUTC(), peer.metrics)));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        await(sidecar.close());
        peer.close();
    }

    private BudgetState team() throws Exception {
        return await(engine.ledger().budget("team"));
    }

    @Test
    void aSidecarSlowerThanTheGateTimeoutIsA503AndItsLateHoldIsReleased() throws Exception {
        ledger.delayMs = 600;

        HttpResponse<String> r = proxy.chat(BODY);

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("type")).isEqualTo("spendguard_unavailable");
        assertThat(proxy.mock.served()).isZero();
        eventually("the late hold landed and was released", () -> ledger.reserved.get() == 1 && ledger.released.get() == 1);
        assertThat(team().reservedMicros()).isZero();
        assertThat(team().committedMicros()).isZero();
    }

    @Test
    void aReplyDoesNotWaitForTheSidecarToAcknowledgeItsSettlement() throws Exception {
        ledger.commitDelayMs = 2_000;

        long sent = System.nanoTime();
        HttpResponse<String> r = proxy.chat(BODY);
        long tookMs = (System.nanoTime() - sent) / 1_000_000;

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-SpendGuard-Cost-Usd-Micros")).isPresent();
        assertThat(tookMs).as("answered before the acknowledgement").isLessThan(1_500);
        assertThat(team().committedMicros()).as("not yet committed").isZero();
        eventually("settled once the sidecar acknowledged it", () -> proxy.settlements() == 1);
        assertThat(proxy.counter("spendguard.settlement.failures")).isZero();
        assertThat(team().reservedMicros()).isZero();
        assertThat(team().committedMicros()).isPositive();
    }

    @Test
    void aKilledSidecarIsA503AndTheProxyRecoversWhenItIsBack() throws Exception {
        assertThat(proxy.chat(BODY).statusCode()).isEqualTo(200);
        eventually("first call settled", () -> proxy.settlements() == 1);

        await(sidecar.close());
        HttpResponse<String> down = proxy.chat(BODY);
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(proxy.mock.served()).isEqualTo(1);

        sidecar = startSidecar();
        eventually("served again after a new handshake", () -> {
            try {
                return proxy.chat(BODY).statusCode() == 200;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        eventually("second call settled", () -> proxy.settlements() == 2);
        assertThat(team().reservedMicros()).isZero();
    }
}
