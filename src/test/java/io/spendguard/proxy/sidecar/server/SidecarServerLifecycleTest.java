package io.spendguard.proxy.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.adapter.v1.DrainSignal;
import io.spendguard.proto.adapter.v1.DrainSubscribeRequest;
import io.spendguard.proto.adapter.v1.HandshakeResponse;
import io.spendguard.proto.adapter.v1.LlmCallPostPayload.Outcome;
import io.spendguard.proto.adapter.v1.SidecarAdapterGrpcClient;
import io.spendguard.proto.adapter.v1.TraceEventAck;
import io.spendguard.proxy.sidecar.server.SidecarFixture.Reply;
import io.netty.channel.epoll.Epoll;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The socket file, transports, and the drain. */
class SidecarServerLifecycleTest {
    @TempDir
    Path dir;

    @Test
    void socketFileIsMode0660InACreatedDirectoryAndRemovedOnClose() throws Exception {
        Path socket = dir.resolve("a/b/adapter.sock");
        try (SidecarFixture f = SidecarFixture.start(socket, true, Duration.ofSeconds(5))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-rw----");
            assertThat(f.client.handshake(SidecarFixture.handshake(SidecarFixture.TENANT, 1)).await(10, TimeUnit.SECONDS)
                    .getProtocolVersion()).as("served on the socket it was given").isEqualTo(1);
            f.server.close().await(10, TimeUnit.SECONDS);
            assertThat(socket).doesNotExist();
        }
    }

    @Test
    void replacesAStaleSocketFile() throws Exception {
        Path socket = dir.resolve("adapter.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertThat(socket).exists();

        try (SidecarFixture f = SidecarFixture.start(socket, true, Duration.ofSeconds(5))) {
            HandshakeResponse r = f.client.handshake(SidecarFixture.handshake(SidecarFixture.TENANT, 1)).await(10, TimeUnit.SECONDS);
            assertThat(r.getProtocolVersion()).isEqualTo(1);
        }
    }

    @Test
    void refusesASocketAnotherProcessIsServingAndAFileThatIsNotASocket() throws Exception {
        Path socket = dir.resolve("adapter.sock");
        try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            live.bind(UnixDomainSocketAddress.of(socket));
            assertThatThrownBy(() -> SidecarFixture.start(socket, true, Duration.ofSeconds(5)))
                    .hasMessageContaining("already listening on " + socket);
        }
        Path file = Files.writeString(dir.resolve("notes.txt"), "keep me");
        assertThatThrownBy(() -> SidecarFixture.start(file, true, Duration.ofSeconds(5))).hasMessageContaining("is not a socket");
        assertThat(file).hasContent("keep me");
    }

    @Test
    void servesOverNativeEpollAndOverNio() throws Exception {
        for (boolean nativeTransport : new boolean[] {true, false}) {
            try (SidecarFixture f = SidecarFixture.start(dir.resolve(nativeTransport + ".sock"), nativeTransport, Duration.ofSeconds(5))) {
                assertThat(f.vertx.isNativeTransportEnabled()).isEqualTo(nativeTransport && Epoll.isAvailable());
                String id = f.decide("transport", "team", "1000").getReservationIds(0);
                assertThat(f.new TraceStream().send(SidecarFixture.post(id, Outcome.SUCCESS, "900")).getStatus())
                        .isEqualTo(TraceEventAck.Status.ACCEPTED);
            }
        }
    }

    @Test
    void drainSignalsSubscribersRefusesNewDecisionsAndCompletesWhenHoldsSettle() throws Exception {
        try (SidecarFixture f = SidecarFixture.start(dir.resolve("drain.sock"), true, Duration.ofSeconds(60))) {
            DecisionResponse held = f.decide("before-drain", "team", "1000");
            BlockingQueue<DrainSignal> signals = subscribe(f);

            Future<Void> drained = f.server.drain();

            DrainSignal initiated = signals.poll(10, TimeUnit.SECONDS);
            assertThat(initiated).isNotNull();
            assertThat(initiated.getPhase()).isEqualTo(DrainSignal.Phase.DRAIN_INITIATED);
            assertThat(initiated.getDeadline().getSeconds()).isGreaterThan(System.currentTimeMillis() / 1000 + 30);
            assertThat(f.server.draining()).isTrue();
            Reply<DecisionResponse> refused = f.call(SidecarAdapterGrpcClient.RequestDecision, SidecarFixture.decision("during", "team", "1"));
            assertThat(refused.status()).isEqualTo(GrpcStatus.UNAVAILABLE);
            assertThat(refused.message()).isEqualTo("draining");
            assertThat(f.decide("before-drain", "team", "1000")).as("a replay still answers").isEqualTo(held);
            assertThat(drained.isComplete()).as("a reservation is still held").isFalse();

            TraceEventAck ack = f.new TraceStream().send(SidecarFixture.post(held.getReservationIds(0), Outcome.SUCCESS, "800"));

            assertThat(ack.getStatus()).isEqualTo(TraceEventAck.Status.ACCEPTED);
            drained.await(10, TimeUnit.SECONDS);
            DrainSignal complete = signals.poll(10, TimeUnit.SECONDS);
            assertThat(complete).isNotNull();
            assertThat(complete.getPhase()).isEqualTo(DrainSignal.Phase.DRAIN_COMPLETE);
        }
    }

    @Test
    void drainCompletesAfterTheGraceWhenAHoldIsNeverSettled() throws Exception {
        try (SidecarFixture f = SidecarFixture.start(dir.resolve("grace.sock"), true, Duration.ofMillis(200))) {
            f.decide("never-settled", "team", "1000");

            f.server.drain().await(10, TimeUnit.SECONDS);

            // A late subscriber's signals come with the headers, so the client can read them before its
            // handler is attached; a subscriber that saw nothing subscribes again.
            DrainSignal first = null;
            BlockingQueue<DrainSignal> late = null;
            for (int attempt = 0; attempt < 3 && first == null; attempt++) {
                late = subscribe(f);
                first = late.poll(5, TimeUnit.SECONDS);
            }
            assertThat(first).isNotNull();
            assertThat(first.getPhase()).isEqualTo(DrainSignal.Phase.DRAIN_INITIATED);
            assertThat(late.poll(10, TimeUnit.SECONDS).getPhase()).isEqualTo(DrainSignal.Phase.DRAIN_COMPLETE);
        }
    }

    private static BlockingQueue<DrainSignal> subscribe(SidecarFixture f) throws Exception {
        BlockingQueue<DrainSignal> signals = new LinkedBlockingQueue<>();
        f.grpc.request(f.address, SidecarAdapterGrpcClient.StreamDrainSignal)
                .compose(req -> req.send(DrainSubscribeRequest.newBuilder().setSessionId("ses-drain").build()))
                .onSuccess(resp -> resp.handler(signals::add))
                .await(10, TimeUnit.SECONDS);
        return signals;
    }
}
