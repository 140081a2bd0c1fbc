package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.config.GateMode;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.gate.Gate;
import io.spendguard.proxy.gate.LocalGate;
import io.spendguard.proxy.ledger.Ledger.Settled;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The gate's fail modes: closed → 503 and nothing forwarded; open → forwarded, counted; a late hold is released. */
class GateFailureTest extends HarnessTest {

    /** The real engine behind a gate that answers {@code delayMs} late, as an overloaded sidecar does. */
    static final class LateGate implements Gate {
        final Vertx vertx;
        final Gate inner;
        final long delayMs;
        final AtomicInteger decided = new AtomicInteger();
        final AtomicInteger released = new AtomicInteger();

        LateGate(Vertx vertx, Gate inner, long delayMs) {
            this.vertx = vertx;
            this.inner = inner;
            this.delayMs = delayMs;
        }

        @Override
        public GateMode mode() {
            return GateMode.EMBEDDED;
        }

        @Override
        public Future<Decision> decide(DecisionRequest request) {
            Promise<Decision> late = Promise.promise();
            vertx.setTimer(delayMs, t -> inner.decide(request).onSuccess(d -> decided.incrementAndGet()).onComplete(late));
            return late.future();
        }

        @Override
        public Future<Settled> commit(Decision admitted, long actualMicros) {
            return inner.commit(admitted, actualMicros);
        }

        @Override
        public Future<Settled> release(Decision admitted, String reason) {
            return inner.release(admitted, reason).onSuccess(s -> released.incrementAndGet());
        }

        @Override
        public boolean ready() {
            return true;
        }
    }

    private static String config(String failMode) {
        return ProxyHarness.config(1_000_000, "", "").replace("gate: { timeout_ms: 2000 }",
                "gate: { timeout_ms: 100, fail_mode: " + failMode + " }");
    }

    @Test
    void refusesWith503AndReleasesTheLateHoldWhenTheGateIsTooSlow() throws Exception {
        LateGate[] gate = new LateGate[1];
        h = ProxyHarness.start(config("closed"), (vertx, engine) -> gate[0] = new LateGate(vertx, new LocalGate(engine), 400));
        HttpResponse<String> r = h.chat(ChatCompletionsTest.BODY);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("type")).isEqualTo("spendguard_unavailable");
        assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(h.mock.served()).isZero();
        assertThat(h.counter("spendguard.gate.failures", "reason", "timeout")).isEqualTo(1);
        ProxyHarness.await("late reservation released", () -> gate[0].decided.get() == 1 && gate[0].released.get() == 1);
        assertThat(hold()).isZero();
        assertThat(h.budget("default").committedMicros()).isZero();
    }

    @Test
    void forwardsWithoutAHoldAndCountsItWhenTheGateFailsOpen() throws Exception {
        LateGate[] gate = new LateGate[1];
        h = ProxyHarness.start(config("open"), (vertx, engine) -> gate[0] = new LateGate(vertx, new LocalGate(engine), 400));
        HttpResponse<String> r = h.chat(ChatCompletionsTest.BODY);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-SpendGuard-Decision-Id")).isEmpty();
        assertThat(h.mock.served()).isEqualTo(1);
        assertThat(h.counter("spendguard.fail.open")).isEqualTo(1);
        ProxyHarness.await("late reservation released", () -> gate[0].decided.get() == 1 && gate[0].released.get() == 1);
        assertThat(hold()).isZero();
    }

    @Test
    void aClientThatLeavesWhileTheGateDecidesIsReleasedAndCountedAsASettlement() throws Exception {
        LateGate[] gate = new LateGate[1];
        h = ProxyHarness.start(ProxyHarness.config(1_000_000, "", ""),
                (vertx, engine) -> gate[0] = new LateGate(vertx, new LocalGate(engine), 300));
        RawClient.sendAndHangUp(h.server.port(), ChatCompletionsTest.BODY, "", "", 0, 50);
        ProxyHarness.await("hold granted after the client left, then released", () -> gate[0].released.get() == 1);
        assertThat(h.mock.served()).isZero();
        assertThat(h.counter("spendguard.decisions", "decision", "CONTINUE")).isEqualTo(1);
        ProxyHarness.await("release counted", () -> h.counter("spendguard.settlements", "kind", "release") == 1);
        h.assertSettled(1, "default");
    }

    private long hold() {
        try {
            return h.budget("default").reservedMicros();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
