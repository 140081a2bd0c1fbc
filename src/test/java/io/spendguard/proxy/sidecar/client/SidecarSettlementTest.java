package io.spendguard.proxy.sidecar.client;

import static io.spendguard.proxy.sidecar.client.SidecarPeer.await;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.eventually;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.failure;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proto.adapter.v1.LlmCallPostPayload;
import io.spendguard.proto.adapter.v1.PublishOutcomeRequest;
import io.spendguard.proto.adapter.v1.TraceEvent;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.ledger.Ledger.Settled;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link SidecarGate} commits and releases over the EmitTraceEvents stream of a real gRPC peer on a Unix socket. */
class SidecarSettlementTest {
    private SidecarPeer peer;
    private FakeSidecar fake;
    private SidecarGate gate;

    @BeforeEach
    void start() throws Exception {
        peer = new SidecarPeer();
        fake = peer.startFake();
        gate = peer.connect();
    }

    @AfterEach
    void stop() throws Exception {
        await(gate.close());
        peer.close();
    }

    private Decision admitted(String id, long claim) throws Exception {
        return await(gate.decide(request(id, claim)));
    }

    @Test
    void commitsManyCallsOverOneLongLivedStreamAndConfirmsEach() throws Exception {
        List<Future<Settled>> commits = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Decision d = admitted("d-" + i, 1_000);
            commits.add(gate.commit(d, 700 + i));
        }
        for (Future<Settled> c : commits) {
            await(c);
        }

        assertThat(fake.streamsOpened).hasValue(1);
        assertThat(fake.events).hasSize(20).allSatisfy(e -> {
            assertThat(e.getKind()).isEqualTo(TraceEvent.EventKind.LLM_CALL_POST);
            assertThat(e.getLlmCallPost().getOutcome()).isEqualTo(LlmCallPostPayload.Outcome.SUCCESS);
            assertThat(e.getSessionId()).isEqualTo("session-1");
        });
        TraceEvent first = fake.events.stream().filter(e -> e.getIds().getDecisionId().equals("d-0")).findFirst().orElseThrow();
        assertThat(first.getLlmCallPost().getReservationId()).isEqualTo("res-d-0");
        assertThat(first.getLlmCallPost().getEstimatedAmountAtomic()).isEqualTo("700");
        assertThat(first.getLlmCallPost().getProviderReportedAmountAtomic()).isEqualTo("700");
        assertThat(first.getLlmCallPost().getUnit().getUnitId()).isEqualTo("usd_micros");
        assertThat(first.getIds().getLlmCallId()).isEqualTo(ProtoMapper.llmCallId("d-0"));
        Settled s = await(commits.get(0));
        assertThat(s.heldMicros()).isEqualTo(1_000);
        assertThat(s.committedMicros()).isEqualTo(700);
        assertThat(s.releasedMicros()).isEqualTo(300);
        assertThat(s.overrunMicros()).isZero();
        eventually("every settlement confirmed", () -> fake.confirms.size() == 20);
        assertThat(fake.confirms).allMatch(c -> c.getOutcome() == PublishOutcomeRequest.Outcome.APPLIED);
    }

    @Test
    void aRejectedAckIsRetriedAndCounted() throws Exception {
        Decision d = admitted("d-1", 1_000);
        fake.rejectNext.set(1);

        Settled s = await(gate.commit(d, 900));

        assertThat(s.committedMicros()).isEqualTo(900);
        assertThat(fake.events).hasSize(2);
        assertThat(peer.count("spendguard.settlement.retries", "kind", "commit")).isEqualTo(1);
    }

    @Test
    void aSettlementTheSidecarKeepsRejectingFailsAndIsNeverReportedDone() throws Exception {
        Decision d = admitted("d-1", 1_000);
        fake.alwaysReject = true;

        Throwable e = failure(gate.commit(d, 900));

        assertThat(e).hasMessageContaining("res-d-1").hasMessageContaining("REJECTED");
        assertThat(fake.events).hasSize(1 + SettlementStream.BACKOFF_MS.length);
        assertThat(peer.count("spendguard.settlement.retries", "kind", "commit")).isEqualTo(SettlementStream.BACKOFF_MS.length);
        assertThat(fake.confirms).isEmpty();
    }

    @Test
    void aCommitThatLandedBeforeTheStreamBrokeIsSettledNotFailed() throws Exception {
        Decision d = admitted("d-1", 1_000);
        fake.dropOnNextEvent = true;

        Settled s = await(gate.commit(d, 900));

        assertThat(s.committedMicros()).isEqualTo(900);
        assertThat(fake.events).hasSize(2);
        assertThat(fake.handshakes).hasSize(2);
        assertThat(fake.streamsOpened).hasValue(2);
        assertThat(fake.events.get(1).getSessionId()).isEqualTo("session-2");
    }

    @Test
    void aReservationSettledTwiceIsAFailureWithoutAnEarlierUnacknowledgedSend() throws Exception {
        Decision d = admitted("d-1", 1_000);
        await(gate.commit(d, 900));

        Throwable e = failure(gate.release(d, "provider_500"));

        assertThat(e).hasMessageContaining("RESERVATION_STATE_CONFLICT");
    }

    @Test
    void releaseTellsTheSidecarWhyAndFreesTheHold() throws Exception {
        Settled provider = await(gate.release(admitted("d-1", 1_000), "provider_500"));
        await(gate.release(admitted("d-2", 1_000), "client_gone_before_forward"));
        await(gate.release(admitted("d-3", 1_000), "gate_timeout"));

        assertThat(provider.releasedMicros()).isEqualTo(1_000);
        assertThat(provider.committedMicros()).isZero();
        assertThat(fake.events).extracting(e -> e.getLlmCallPost().getOutcome()).containsExactly(
                LlmCallPostPayload.Outcome.PROVIDER_ERROR, LlmCallPostPayload.Outcome.RUN_ABORTED, LlmCallPostPayload.Outcome.RUN_ABORTED);
    }

    @Test
    void ourSidecarTakesACommitAboveTheHoldInFull() throws Exception {
        Settled s = await(gate.commit(admitted("d-1", 1_000), 1_500));

        assertThat(fake.events.get(0).getLlmCallPost().getEstimatedAmountAtomic()).isEqualTo("1500");
        assertThat(s.committedMicros()).isEqualTo(1_500);
        assertThat(s.overrunMicros()).isEqualTo(500);
    }

    @Test
    void theUpstreamSidecarGetsTheHoldAndTheRestIsRecordedAsOverrun() throws Exception {
        fake.version = "spendguard-sidecar/0.9.0";
        await(gate.close());
        gate = peer.connect();

        Settled s = await(gate.commit(admitted("d-1", 1_000), 1_500));

        assertThat(fake.events.get(0).getLlmCallPost().getEstimatedAmountAtomic()).isEqualTo("1000");
        assertThat(s.committedMicros()).isEqualTo(1_000);
        assertThat(s.overrunMicros()).isEqualTo(500);
        assertThat(s.budget()).isNull();
    }
}
