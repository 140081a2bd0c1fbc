package io.spendguard.proxy.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.adapter.v1.LlmCallPostPayload.Outcome;
import io.spendguard.proto.adapter.v1.PublishOutcomeRequest;
import io.spendguard.proto.adapter.v1.PublishOutcomeResponse;
import io.spendguard.proto.adapter.v1.ReleaseReservationRequest;
import io.spendguard.proto.adapter.v1.ReleaseReservationResponse;
import io.spendguard.proto.adapter.v1.SidecarAdapterGrpcClient;
import io.spendguard.proto.adapter.v1.TraceEvent;
import io.spendguard.proto.adapter.v1.TraceEventAck;
import io.spendguard.proto.common.v1.Error;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.sidecar.server.SidecarFixture.Reply;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settling reservations: the trace-event stream, ConfirmPublishOutcome and ReleaseReservation. */
class SidecarServerSettlementTest {
    @TempDir
    Path dir;
    SidecarFixture f;

    @BeforeEach
    void start() throws Exception {
        f = SidecarFixture.start(dir);
    }

    @AfterEach
    void stop() throws Exception {
        f.close();
    }

    private String reserve(String key, String amount) throws Exception {
        DecisionResponse r = f.decide(key, "team", amount);
        assertThat(r.getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
        return r.getReservationIds(0);
    }

    @Test
    void commitsOnSuccessAndAcksTheReservation() throws Exception {
        String id = reserve("c1", "100000");
        SidecarFixture.TraceStream stream = f.new TraceStream();

        TraceEventAck ack = stream.send(SidecarFixture.post(id, Outcome.SUCCESS, "80000"));

        assertThat(ack.getEventId()).isEqualTo(id);
        assertThat(ack.getStatus()).isEqualTo(TraceEventAck.Status.ACCEPTED);
        BudgetState team = f.budget("team");
        assertThat(team.reservedMicros()).isZero();
        assertThat(team.committedMicros()).isEqualTo(80_000);
    }

    @Test
    void commitsTheProviderReportedAmountAboveTheHold() throws Exception {
        String id = reserve("c-over", "1000");
        SidecarFixture.TraceStream stream = f.new TraceStream();
        TraceEvent.Builder reported = SidecarFixture.post(id, Outcome.SUCCESS, "900").toBuilder();
        reported.getLlmCallPostBuilder().setProviderReportedAmountAtomic("1500");

        assertThat(stream.send(reported.build()).getStatus()).isEqualTo(TraceEventAck.Status.ACCEPTED);
        assertThat(f.budget("team").committedMicros()).isEqualTo(1_500);
    }

    @Test
    void releasesOnProviderErrorTimeoutOrAbort() throws Exception {
        SidecarFixture.TraceStream stream = f.new TraceStream();
        for (Outcome outcome : new Outcome[] {Outcome.PROVIDER_ERROR, Outcome.CLIENT_TIMEOUT, Outcome.RUN_ABORTED}) {
            String id = reserve("r-" + outcome, "100000");
            TraceEventAck ack = stream.send(SidecarFixture.post(id, outcome, "100000"));
            assertThat(ack.getStatus()).as(outcome.name()).isEqualTo(TraceEventAck.Status.ACCEPTED);
        }
        BudgetState team = f.budget("team");
        assertThat(team.reservedMicros()).isZero();
        assertThat(team.committedMicros()).isZero();
    }

    @Test
    void rejectsASecondSettlementAsAStateConflict() throws Exception {
        String id = reserve("twice", "100000");
        SidecarFixture.TraceStream stream = f.new TraceStream();
        stream.send(SidecarFixture.post(id, Outcome.SUCCESS, "50000"));

        TraceEventAck again = stream.send(SidecarFixture.post(id, Outcome.SUCCESS, "50000"));
        TraceEventAck unknown = stream.send(SidecarFixture.post("res_nope", Outcome.PROVIDER_ERROR, "1"));

        assertThat(again.getStatus()).isEqualTo(TraceEventAck.Status.REJECTED);
        assertThat(again.getError().getCode()).isEqualTo(Error.Code.RESERVATION_STATE_CONFLICT);
        assertThat(unknown.getError().getCode()).isEqualTo(Error.Code.RESERVATION_STATE_CONFLICT);
        assertThat(f.budget("team").committedMicros()).isEqualTo(50_000);
    }

    @Test
    void acksManyEventsOnOneStreamInOrder() throws Exception {
        String[] ids = new String[5];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = reserve("many-" + i, "10000");
        }
        SidecarFixture.TraceStream stream = f.new TraceStream();
        for (int i = 0; i < ids.length; i++) {
            stream.request.write(SidecarFixture.post(ids[i], i % 2 == 0 ? Outcome.SUCCESS : Outcome.PROVIDER_ERROR, "7000"));
        }
        stream.request.write(TraceEvent.newBuilder().setKind(TraceEvent.EventKind.RUN_END).build());

        for (String id : ids) {
            TraceEventAck ack = stream.next();
            assertThat(ack.getEventId()).isEqualTo(id);
            assertThat(ack.getStatus()).isEqualTo(TraceEventAck.Status.ACCEPTED);
        }
        assertThat(stream.next().getStatus()).as("an event without llm_call_post is accepted").isEqualTo(TraceEventAck.Status.ACCEPTED);
        BudgetState team = f.budget("team");
        assertThat(team.reservedMicros()).isZero();
        assertThat(team.committedMicros()).isEqualTo(3 * 7_000);
    }

    @Test
    void rejectsMalformedEventsAndKeepsTheStreamOpen() throws Exception {
        String id = reserve("malformed", "100000");
        SidecarFixture.TraceStream stream = f.new TraceStream();

        TraceEventAck noId = stream.send(SidecarFixture.post("", Outcome.SUCCESS, "1"));
        TraceEventAck badAmount = stream.send(SidecarFixture.post(id, Outcome.SUCCESS, "12.5"));
        TraceEventAck noOutcome = stream.send(SidecarFixture.post(id, Outcome.OUTCOME_UNSPECIFIED, "1"));
        TraceEvent.Builder tokens = SidecarFixture.post(id, Outcome.SUCCESS, "1").toBuilder();
        tokens.getLlmCallPostBuilder().setUnit(SidecarFixture.USD.toBuilder().setUnitId("tokens"));
        TraceEventAck otherUnit = stream.send(tokens.build());
        TraceEventAck fine = stream.send(SidecarFixture.post(id, Outcome.SUCCESS, "10"));

        assertThat(noId.getStatus()).isEqualTo(TraceEventAck.Status.REJECTED);
        assertThat(noId.getError().getMessage()).contains("reservation_id");
        assertThat(badAmount.getStatus()).isEqualTo(TraceEventAck.Status.REJECTED);
        assertThat(badAmount.getError().getMessage()).startsWith("llm_call_post.estimated_amount_atomic");
        assertThat(noOutcome.getStatus()).isEqualTo(TraceEventAck.Status.REJECTED);
        assertThat(otherUnit.getError().getCode()).isEqualTo(Error.Code.UNIT_NORMALIZATION_REQUIRED);
        assertThat(fine.getStatus()).isEqualTo(TraceEventAck.Status.ACCEPTED);
        assertThat(f.budget("team").committedMicros()).isEqualTo(10);
    }

    @Test
    void aSettlementRetriedOnANewStreamAfterAResetReportsItLanded() throws Exception {
        String id = reserve("reset", "100000");
        SidecarFixture.TraceStream broken = f.new TraceStream();
        broken.send(SidecarFixture.post(id, Outcome.SUCCESS, "40000"));
        broken.request.cancel();

        TraceEventAck retry = f.new TraceStream().send(SidecarFixture.post(id, Outcome.SUCCESS, "40000"));

        assertThat(retry.getError().getCode()).isEqualTo(Error.Code.RESERVATION_STATE_CONFLICT);
        assertThat(f.budget("team").committedMicros()).isEqualTo(40_000);
    }

    @Test
    void applyFailedReleasesTheDecisionsReservation() throws Exception {
        reserve("apply-failed", "100000");

        PublishOutcomeResponse r = f.client.confirmPublishOutcome(PublishOutcomeRequest.newBuilder().setDecisionId("dec-apply-failed")
                .setOutcome(PublishOutcomeRequest.Outcome.APPLY_FAILED).setAdapterError("upstream refused").build())
                .await(10, TimeUnit.SECONDS);

        assertThat(r.getAuditOutcomeEventId()).isNotBlank();
        assertThat(r.hasRecordedAt()).isTrue();
        assertThat(f.budget("team").reservedMicros()).isZero();
        assertThat(f.budget("team").committedMicros()).isZero();
    }

    @Test
    void appliedIsAcknowledgedAndLeavesTheSettlementAlone() throws Exception {
        String id = reserve("applied", "100000");
        f.new TraceStream().send(SidecarFixture.post(id, Outcome.SUCCESS, "30000"));

        PublishOutcomeResponse r = f.client.confirmPublishOutcome(PublishOutcomeRequest.newBuilder().setDecisionId("dec-applied")
                .setOutcome(PublishOutcomeRequest.Outcome.APPLIED).build()).await(10, TimeUnit.SECONDS);
        PublishOutcomeResponse late = f.client.confirmPublishOutcome(PublishOutcomeRequest.newBuilder().setDecisionId("dec-applied")
                .setOutcome(PublishOutcomeRequest.Outcome.APPLY_FAILED).build()).await(10, TimeUnit.SECONDS);

        assertThat(r.getAuditOutcomeEventId()).isNotBlank();
        assertThat(late.getAuditOutcomeEventId()).isNotBlank();
        assertThat(f.budget("team").committedMicros()).isEqualTo(30_000);
    }

    @Test
    void releasesExplicitlyOnceThenReportsAConflict() throws Exception {
        String id = reserve("explicit", "100000");
        ReleaseReservationRequest release = ReleaseReservationRequest.newBuilder().setReservationId(id).setTenantId(SidecarFixture.TENANT)
                .addReasonCodes("client_gone").build();

        ReleaseReservationResponse r = f.client.releaseReservation(release).await(10, TimeUnit.SECONDS);
        Reply<ReleaseReservationResponse> again = f.call(SidecarAdapterGrpcClient.ReleaseReservation, release);
        Reply<ReleaseReservationResponse> otherTenant = f.call(SidecarAdapterGrpcClient.ReleaseReservation,
                release.toBuilder().setTenantId("globex").build());

        assertThat(r.getReleasedReservationIdsList()).containsExactly(id);
        assertThat(f.budget("team").reservedMicros()).isZero();
        assertThat(again.status()).isEqualTo(GrpcStatus.FAILED_PRECONDITION);
        assertThat(again.message()).startsWith("RESERVATION_STATE_CONFLICT");
        assertThat(otherTenant.status()).isEqualTo(GrpcStatus.PERMISSION_DENIED);
    }
}
