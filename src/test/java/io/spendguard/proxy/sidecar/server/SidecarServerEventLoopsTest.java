package io.spendguard.proxy.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proto.adapter.v1.DecisionRequest;
import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.adapter.v1.DrainSignal;
import io.spendguard.proto.adapter.v1.DrainSubscribeRequest;
import io.spendguard.proto.adapter.v1.LlmCallPostPayload.Outcome;
import io.spendguard.proto.adapter.v1.SidecarAdapterGrpcClient;
import io.spendguard.proto.adapter.v1.TraceEventAck;
import io.spendguard.proto.common.v1.Error;
import io.vertx.core.Future;
import io.vertx.grpc.client.GrpcClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar serves its socket on several event loops, one connection on each in turn, and what
 * those loops share — holds, replays, the drain — stays right when a call's steps arrive on different
 * connections: a hold taken on one loop settles once on another, one idempotency key repeated on
 * every loop at once reserves once, and the last settlement on one loop ends a drain a subscriber on
 * another is told about.
 */
class SidecarServerEventLoopsTest {
    private static final int LOOPS = 2;

    @TempDir
    Path dir;
    private final ThreadsClock answers = new ThreadsClock();
    private SidecarFixture f;
    /** One client per connection: each has its own pool, so its own HTTP/2 connection. */
    private final List<GrpcClient> connections = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        f = SidecarFixture.start(dir.resolve("adapter.sock"), answers, LOOPS);
        for (int i = 0; i < 2 * LOOPS; i++) {
            connections.add(GrpcClient.client(f.vertx));
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (GrpcClient c : connections) {
            c.close().await(10, TimeUnit.SECONDS);
        }
        f.close();
    }

    private SidecarAdapterGrpcClient on(int connection) {
        return SidecarAdapterGrpcClient.create(connections.get(connection), f.address);
    }

    @Test
    void servesItsConnectionsOnEveryOneOfItsEventLoops() throws Exception {
        for (int i = 0; i < connections.size(); i++) {
            DecisionResponse d = on(i).requestDecision(SidecarFixture.decision("k-" + i, "team", "1000")).await(10, TimeUnit.SECONDS);
            assertThat(d.getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
        }

        assertThat(answers.threads).hasSize(LOOPS).allMatch(name -> name.startsWith("vert.x-eventloop-thread-"));
    }

    @Test
    void aHoldTakenOnOneLoopSettlesOnceOnAnother() throws Exception {
        String reservation = on(0).requestDecision(SidecarFixture.decision("k-1", "team", "1000"))
                .await(10, TimeUnit.SECONDS).getReservationIds(0);

        TraceEventAck first = f.new TraceStream(connections.get(1)).send(SidecarFixture.post(reservation, Outcome.SUCCESS, "900"));
        TraceEventAck second = f.new TraceStream(connections.get(0)).send(SidecarFixture.post(reservation, Outcome.SUCCESS, "900"));

        assertThat(first.getStatus()).isEqualTo(TraceEventAck.Status.ACCEPTED);
        assertThat(second.getStatus()).isEqualTo(TraceEventAck.Status.REJECTED);
        assertThat(second.getError().getCode()).isEqualTo(Error.Code.RESERVATION_STATE_CONFLICT);
        assertThat(f.budget("team").committedMicros()).isEqualTo(900);
        assertThat(f.budget("team").reservedMicros()).isZero();
    }

    @Test
    void oneKeyRepeatedOnEveryLoopAtOnceReservesOnceAndEveryCallGetsTheAnswer() throws Exception {
        DecisionRequest request = SidecarFixture.decision("same-key", "team", "1000");
        List<Future<DecisionResponse>> answered = new ArrayList<>();
        for (int i = 0; i < connections.size(); i++) {
            answered.add(on(i).requestDecision(request));
        }

        Future.all(answered).await(10, TimeUnit.SECONDS);

        assertThat(answered).extracting(Future::result).allSatisfy(d -> {
            assertThat(d.getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
            assertThat(d).isEqualTo(answered.get(0).result());
        });
        assertThat(f.budget("team").reservedMicros()).isEqualTo(1000);
    }

    @Test
    void theLastSettlementOnOneLoopEndsTheDrainASubscriberOnAnotherWaitsFor() throws Exception {
        BlockingQueue<DrainSignal> signals = new LinkedBlockingQueue<>();
        connections.get(0).request(f.address, SidecarAdapterGrpcClient.StreamDrainSignal)
                .compose(req -> req.send(DrainSubscribeRequest.newBuilder().setSessionId("ses-drain").build()))
                .onSuccess(resp -> resp.handler(signals::add))
                .await(10, TimeUnit.SECONDS);
        String reservation = on(1).requestDecision(SidecarFixture.decision("k-1", "team", "1000"))
                .await(10, TimeUnit.SECONDS).getReservationIds(0);
        Future<Void> drained = f.server.drain();
        assertThat(signals.poll(10, TimeUnit.SECONDS).getPhase()).isEqualTo(DrainSignal.Phase.DRAIN_INITIATED);

        f.new TraceStream(connections.get(1)).send(SidecarFixture.post(reservation, Outcome.SUCCESS, "900"));

        drained.await(10, TimeUnit.SECONDS);
        DrainSignal complete = signals.poll(10, TimeUnit.SECONDS);
        assertThat(complete).isNotNull();
        assertThat(complete.getPhase()).isEqualTo(DrainSignal.Phase.DRAIN_COMPLETE);
    }

    /** The system clock, noting which thread read it: the sidecar reads it where it answers a decision. */
    private static final class ThreadsClock extends Clock {
        final Set<String> threads = ConcurrentHashMap.newKeySet();

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            threads.add(Thread.currentThread().getName());
            return Instant.now();
        }
    }
}
