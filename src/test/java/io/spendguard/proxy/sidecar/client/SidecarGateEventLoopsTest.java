package io.spendguard.proxy.sidecar.client;

import static io.spendguard.proxy.sidecar.client.SidecarPeer.await;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.eventually;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spendguard.proxy.ProxyHarness;
import io.spendguard.proto.adapter.v1.TraceEvent;
import io.spendguard.proxy.engine.Approvals;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.ledger.Ledger.Settled;
import io.spendguard.proxy.ledger.memory.MemoryLedger;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.sidecar.server.SidecarServer;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SidecarGate} with event loops attached, as the proxy's listeners attach theirs: each loop
 * handshakes a connection and a settlement stream of its own, a call made there is decided, settled
 * and answered without leaving the loop, calls from several loops at once all settle exactly once,
 * a loop's connection that breaks reconnects on its own, and the proxy's listener attaches its loop.
 */
class SidecarGateEventLoopsTest {
    private static final String BODY = "{\"model\":\"gpt-test\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";

    private SidecarPeer peer;
    private SidecarGate gate;
    private final List<Caller> callers = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        peer = new SidecarPeer();
    }

    @AfterEach
    void stop() throws Exception {
        if (gate != null) {
            await(gate.close());
        }
        peer.close();
    }

    /**
     * Two event loops, each attached to the gate, as the proxy's listeners attach theirs: two instances
     * of one deployment, whose contexts Vert.x places on different loops.
     */
    private void attachTwo() throws Exception {
        List<Context> contexts = new CopyOnWriteArrayList<>();
        await(peer.vertx.deployVerticle(() -> new VerticleBase() {
            @Override
            public Future<?> start() {
                contexts.add(context);
                return Future.succeededFuture();
            }
        }, new DeploymentOptions().setInstances(2)));
        for (Context context : contexts) {
            Caller c = new Caller(context);
            c.thread = await(c.on(() -> Future.succeededFuture(Thread.currentThread())));
            await(c.on(gate::attach));
            callers.add(c);
        }
        assertThat(callers.get(0).thread).isNotSameAs(callers.get(1).thread);
    }

    @Test
    void everyAttachedLoopHandshakesAConnectionAndSettlesOnAStreamOfItsOwn() throws Exception {
        FakeSidecar fake = peer.startFake();
        gate = peer.connect();
        attachTwo();

        List<Future<Settled>> settled = new ArrayList<>();
        for (Caller c : callers) {
            for (int i = 0; i < 5; i++) {
                String id = c.thread.getName() + "-" + i;
                settled.add(c.on(() -> gate.decide(request(id, 1_000)).compose(d -> c.here(d)).compose(d -> gate.commit(d, 900))
                        .compose(c::here)));
            }
        }
        await(Future.all(settled));

        assertThat(fake.handshakes).hasSize(3);
        assertThat(fake.streamsOpened).as("one stream per loop that settled, the first connection's unused").hasValue(2);
        Set<String> sessions = new HashSet<>();
        for (Caller c : callers) {
            Set<String> own = fake.events.stream().filter(e -> e.getIds().getDecisionId().startsWith(c.thread.getName() + "-"))
                    .map(TraceEvent::getSessionId).collect(Collectors.toSet());
            assertThat(own).as("one session for the loop's settlements").hasSize(1).doesNotContain("session-1");
            sessions.addAll(own);
        }
        assertThat(sessions).as("a different session on each loop").hasSize(2);
        assertThat(callers).allSatisfy(c -> assertThat(c.strays).as("answers off the caller's loop").isEmpty());
        assertThat(gate.ready()).isTrue();
    }

    @Test
    void callsFromSeveralLoopsAtOnceAllSettleExactlyOnceInTheSidecar() throws Exception {
        Clock clock = Clock.systemUTC();
        Engine engine = new Engine(new MemoryLedger(clock), new Approvals(clock, Duration.ofHours(24)), clock, Duration.ofMinutes(15));
        await(engine.putBudget(new BudgetSpec("team", 100_000_000, "daily", "UTC", null, true)));
        SimpleMeterRegistry sidecarMeters = new SimpleMeterRegistry();
        Vertx sidecarVertx = Vertx.vertx();
        SidecarServer server = await(SidecarServer.start(sidecarVertx, engine, new SidecarServer.Options(peer.socket, "t-1",
                "usd_micros", Duration.ofSeconds(5), clock, new ProxyMetrics(sidecarMeters), 2)));
        try {
            gate = peer.connect();
            attachTwo();
            int perLoop = 100;
            List<Future<Settled>> settled = new ArrayList<>();
            for (Caller c : callers) {
                for (int i = 0; i < perLoop; i++) {
                    String id = c.thread.getName() + "-" + i;
                    boolean commit = i % 4 != 0;
                    settled.add(c.on(() -> gate.decide(request(id, 1_000)).compose(c::here)
                            .compose(d -> commit ? gate.commit(d, 700) : gate.release(d, "provider_500")).compose(c::here)));
                }
            }

            await(Future.all(settled));

            BudgetState team = await(engine.ledger().budget("team"));
            assertThat(team.reservedMicros()).as("nothing left held").isZero();
            assertThat(team.committedMicros()).isEqualTo(2L * perLoop * 3 / 4 * 700);
            assertThat(sidecarMeters.counter("spendguard.settlements", "kind", "commit").count()).isEqualTo(2 * perLoop * 3 / 4);
            assertThat(sidecarMeters.counter("spendguard.settlements", "kind", "release").count()).isEqualTo(2 * perLoop / 4);
            assertThat(callers).allSatisfy(c -> assertThat(c.strays).as("answers off the caller's loop").isEmpty());
        } finally {
            await(gate.close());
            gate = null;
            await(server.close());
            await(sidecarVertx.close());
        }
    }

    @Test
    void aLoopsConnectionThatBreaksReconnectsAndItsUnacknowledgedSettlementLands() throws Exception {
        FakeSidecar fake = peer.startFake();
        gate = peer.connect();
        attachTwo();
        Caller c = callers.get(0);
        Decision d = await(c.on(() -> gate.decide(request("d-1", 1_000))));
        fake.dropOnNextEvent = true;

        Settled s = await(c.on(() -> gate.commit(d, 900).compose(c::here)));

        assertThat(s.committedMicros()).isEqualTo(900);
        assertThat(fake.events).hasSize(2);
        assertThat(fake.events.get(1).getSessionId()).as("sent again on the loop's new session").isEqualTo("session-4");
        assertThat(fake.handshakes).as("only the broken connection handshook again").hasSize(4);
        assertThat(peer.count("spendguard.sidecar.reconnects")).isEqualTo(1);
        eventually("ready again", gate::ready);
        assertThat(c.strays).isEmpty();
    }

    @Test
    void aLoopThatDetachesSettlesOnTheFirstConnection() throws Exception {
        FakeSidecar fake = peer.startFake();
        gate = peer.connect();
        attachTwo();
        Caller c = callers.get(0);
        Decision d = await(c.on(() -> gate.decide(request("d-1", 1_000))));

        await(c.on(gate::detach));
        await(c.on(() -> gate.commit(d, 900).compose(c::here)));

        assertThat(fake.events).singleElement().satisfies(e -> assertThat(e.getSessionId()).isEqualTo("session-1"));
        assertThat(c.strays).as("answered on the caller's loop, not the first connection's").isEmpty();
        assertThat(gate.ready()).isTrue();
    }

    @Test
    void theProxysListenerDecidesAndSettlesOnItsLoopsOwnConnection() throws Exception {
        FakeSidecar fake = peer.startFake();
        ProxyHarness proxy = ProxyHarness.start(peer.proxyConfig(2000));
        try {
            HttpResponse<String> r = proxy.chat(BODY);

            assertThat(r.statusCode()).isEqualTo(200);
            eventually("settled", () -> fake.events.size() == 1);
            assertThat(fake.handshakes).as("the gate's first connection and the listener's").hasSize(2);
            assertThat(fake.events.get(0).getSessionId()).isEqualTo("session-2");
        } finally {
            proxy.close();
        }
    }

    /** An event loop of the gate's Vert.x, standing in for one of the proxy's listeners. */
    private static final class Caller {
        final Context context;
        Thread thread;
        /** Threads an answer to this caller's call came back on, other than its own. */
        final Set<String> strays = ConcurrentHashMap.newKeySet();

        Caller(Context context) {
            this.context = context;
        }

        /** Runs {@code call} on this caller's loop. */
        <T> Future<T> on(Supplier<Future<T>> call) {
            Promise<T> result = Promise.promise();
            context.runOnContext(v -> call.get().onComplete(result));
            return result.future();
        }

        /** Notes the thread an answer arrived on when it is not this caller's. */
        <T> Future<T> here(T value) {
            if (Thread.currentThread() != thread) {
                strays.add(Thread.currentThread().getName());
            }
            return Future.succeededFuture(value);
        }
    }
}
