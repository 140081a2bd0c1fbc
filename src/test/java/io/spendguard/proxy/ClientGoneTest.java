package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.ledger.Ledger.Settled;
import io.spendguard.proxy.config.GateMode;
import io.spendguard.proxy.gate.Gate;
import io.spendguard.proxy.gate.LocalGate;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A client that leaves while the proxy waits on the gate's decision ends released, never forwarded
 * (though its hold counted as forwarded from the grant): exactly one settlement, nothing held,
 * nothing committed, nothing sent to the provider.
 */
class ClientGoneTest extends HarnessTest {

    /** The real engine behind a gate that holds its decision until the test lets it go, on the caller's event loop. */
    static final class HeldGate implements Gate {
        final Gate inner;
        final CountDownLatch reached = new CountDownLatch(1);
        volatile Runnable letGo;

        HeldGate(Gate inner) {
            this.inner = inner;
        }

        @Override
        public GateMode mode() {
            return inner.mode();
        }

        @Override
        public Future<Decision> decide(DecisionRequest request) {
            Future<Decision> answer = inner.decide(request);
            Context context = Vertx.currentContext();
            Promise<Decision> later = Promise.promise();
            letGo = () -> context.runOnContext(v -> answer.onComplete(later));
            reached.countDown();
            return later.future();
        }

        @Override
        public Future<Settled> commit(Decision admitted, long actualMicros) {
            return inner.commit(admitted, actualMicros);
        }

        @Override
        public Future<Settled> release(Decision admitted, String reason) {
            return inner.release(admitted, reason);
        }

        @Override
        public boolean ready() {
            return true;
        }
    }

    private static String body(boolean stream) {
        return ChatCompletionsTest.BODY.replace("{\"model\"", "{\"stream\":" + stream + ",\"model\"");
    }

    @ParameterizedTest(name = "stream={0}")
    @ValueSource(booleans = {false, true})
    void aClientThatLeavesWhileTheGateDecidesIsReleasedNotForwarded(boolean stream) throws Exception {
        HeldGate[] gate = new HeldGate[1];
        h = ProxyHarness.start(ProxyHarness.config(1_000_000, "", ""),
                (vertx, engine) -> gate[0] = new HeldGate(new LocalGate(engine)));
        byte[] payload = body(stream).getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", h.server.port())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer sk-client-secret-1234\r\nContent-Length: " + payload.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(payload);
            out.flush();
            assertThat(gate[0].reached.await(10, TimeUnit.SECONDS)).as("the gate was asked").isTrue();
        }
        ProxyHarness.await("the proxy saw the client leave",
                () -> h.registry.find("spendguard.connections.open").tag("listener", "data").gauge().value() == 0);
        gate[0].letGo.run();

        h.assertSettled(1, "default");
        assertThat(h.counter("spendguard.settlements", "kind", "release")).isEqualTo(1);
        assertThat(h.counter("spendguard.settlements", "kind", "commit")).isZero();
        assertThat(h.budget("default").committedMicros()).isZero();
        assertThat(h.mock.served()).as("calls the provider received").isZero();
    }
}
