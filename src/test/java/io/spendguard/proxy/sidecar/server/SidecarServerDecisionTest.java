package io.spendguard.proxy.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import io.spendguard.proto.adapter.v1.DecisionRequest;
import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.adapter.v1.HandshakeResponse;
import io.spendguard.proto.adapter.v1.HandshakeRequest;
import io.spendguard.proto.adapter.v1.SidecarAdapterGrpcClient;
import io.spendguard.proto.common.v1.Error;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.sidecar.server.SidecarFixture.Reply;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Handshake and RequestDecision over the socket, as an SDK calls them. */
class SidecarServerDecisionTest {
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

    @Test
    void handshakeAnswersWithASessionAndOurVersion() throws Exception {
        HandshakeResponse r = f.client.handshake(SidecarFixture.handshake(SidecarFixture.TENANT, 1)).await(10, TimeUnit.SECONDS);

        assertThat(r.getProtocolVersion()).isEqualTo(1);
        assertThat(r.getSidecarVersion()).startsWith("spendguard-proxy/");
        assertThat(r.getSessionId()).isNotBlank();
        assertThat(r.getCapabilityRequired()).isEqualTo(HandshakeRequest.CapabilityLevel.L1_LLM_CALL);
        HandshakeResponse again = f.client.handshake(SidecarFixture.handshake(SidecarFixture.TENANT, 1)).await(10, TimeUnit.SECONDS);
        assertThat(again.getSessionId()).isNotEqualTo(r.getSessionId());
    }

    @Test
    void handshakeRefusesAnotherTenantOrNone() throws Exception {
        Reply<HandshakeResponse> other = f.call(SidecarAdapterGrpcClient.Handshake, SidecarFixture.handshake("globex", 1));
        Reply<HandshakeResponse> none = f.call(SidecarAdapterGrpcClient.Handshake, SidecarFixture.handshake("", 1));

        assertThat(other.status()).isEqualTo(GrpcStatus.PERMISSION_DENIED);
        assertThat(other.message()).contains("globex");
        assertThat(none.status()).isEqualTo(GrpcStatus.PERMISSION_DENIED);
    }

    @Test
    void handshakeRefusesAnotherProtocolVersion() throws Exception {
        Reply<HandshakeResponse> r = f.call(SidecarAdapterGrpcClient.Handshake, SidecarFixture.handshake(SidecarFixture.TENANT, 2));

        assertThat(r.status()).isEqualTo(GrpcStatus.FAILED_PRECONDITION);
        assertThat(r.message()).isEqualTo("protocol_version: 2 (expected: 1)");
    }

    @Test
    void continuesAndHoldsTheClaimInTheLedger() throws Exception {
        DecisionResponse r = f.decide("k1", "team", "250000");

        assertThat(r.getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
        assertThat(r.getDecisionId()).isEqualTo("dec-k1");
        assertThat(r.getReservationIdsList()).hasSize(1);
        assertThat(r.getTtlExpiresAt().getSeconds()).isGreaterThan(System.currentTimeMillis() / 1000);
        assertThat(r.hasError()).isFalse();
        BudgetState team = f.budget("team");
        assertThat(team.reservedMicros()).isEqualTo(250_000);
        assertThat(team.remainingMicros()).isEqualTo(750_000);
    }

    @Test
    void usesTheDefaultBudgetWhenTheClaimNamesNone() throws Exception {
        DecisionResponse r = f.decide("k-default", "", "400");

        assertThat(r.getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
        assertThat(f.budget("small").reservedMicros()).isEqualTo(400);
    }

    @Test
    void stopsWithBudgetExhaustedAndTheDetailsFor402() throws Exception {
        DecisionResponse r = f.decide("k-big", "small", "5000");

        assertThat(r.getDecision()).isEqualTo(DecisionResponse.Decision.STOP);
        assertThat(r.getReservationIdsList()).isEmpty();
        assertThat(r.getReasonCodesList()).containsExactly("BUDGET_EXHAUSTED");
        assertThat(r.getError().getCode()).isEqualTo(Error.Code.BUDGET_EXHAUSTED);
        assertThat(r.getError().getDetailsMap()).containsEntry("remaining_usd_micros", "1000")
                .containsEntry("budget_id", "small").containsEntry("claim_usd_micros", "5000")
                .doesNotContainKey("retry_after_seconds"); // window: none
        assertThat(f.budget("small").reservedMicros()).isZero();

        DecisionResponse daily = f.decide("k-daily", "team", "2000000");
        assertThat(Long.parseLong(daily.getError().getDetailsOrThrow("retry_after_seconds"))).isBetween(1L, 86_400L);
    }

    @Test
    void requiresApprovalAboveTheBudgetsThreshold() throws Exception {
        DecisionResponse r = f.decide("k-approval", "team", "600000");

        assertThat(r.getDecision()).isEqualTo(DecisionResponse.Decision.REQUIRE_APPROVAL);
        assertThat(r.getApprovalRequestId()).startsWith("apr_");
        assertThat(r.getApprovalTtl().getSeconds()).isGreaterThan(System.currentTimeMillis() / 1000);
        assertThat(r.getReservationIdsList()).isEmpty();
        assertThat(f.engine.approvals().get(r.getApprovalRequestId())).get()
                .satisfies(a -> assertThat(a.claimMicros()).isEqualTo(600_000));
        assertThat(f.budget("team").reservedMicros()).isZero();
    }

    @Test
    void replaysTheOriginalDecisionForARepeatedKeyAndHoldsOnce() throws Exception {
        DecisionRequest first = SidecarFixture.decision("k-retry", "team", "100000");
        DecisionRequest retry = first.toBuilder().setSessionId("ses-after-reconnect").build();

        // the second arrives while the first may still be in flight: both share one decision
        Future<DecisionResponse> a = f.client.requestDecision(first);
        Future<DecisionResponse> b = f.client.requestDecision(retry);
        DecisionResponse later = f.client.requestDecision(retry).await(10, TimeUnit.SECONDS);

        assertThat(a.await(10, TimeUnit.SECONDS)).isEqualTo(b.await(10, TimeUnit.SECONDS)).isEqualTo(later);
        assertThat(later.getReservationIdsList()).hasSize(1);
        assertThat(f.budget("team").reservedMicros()).isEqualTo(100_000);
    }

    @Test
    void reservesAtomicallyUnderManyConcurrentCallsOnOneConnection() throws Exception {
        List<Future<DecisionResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            calls.add(f.client.requestDecision(SidecarFixture.decision("burst-" + i, "small", "3")));
        }
        Future.all(calls).await(30, TimeUnit.SECONDS);

        long admitted = calls.stream().filter(c -> c.result().getDecision() == DecisionResponse.Decision.CONTINUE).count();
        long stopped = calls.stream().filter(c -> c.result().getDecision() == DecisionResponse.Decision.STOP).count();
        assertThat(admitted).isEqualTo(333);
        assertThat(stopped).isEqualTo(167);
        assertThat(f.budget("small").reservedMicros()).isEqualTo(999);
    }

    @Test
    void refusesTheSameKeyForADifferentRequest() throws Exception {
        f.decide("k-conflict", "team", "100000");

        Reply<DecisionResponse> r = f.call(SidecarAdapterGrpcClient.RequestDecision, SidecarFixture.decision("k-conflict", "team", "100001"));

        assertThat(r.status()).isEqualTo(GrpcStatus.FAILED_PRECONDITION);
        assertThat(r.message()).startsWith("IDEMPOTENCY_CONFLICT");
        assertThat(f.budget("team").reservedMicros()).isEqualTo(100_000);
    }

    @Test
    void asksForUnitNormalizationWhenTheClaimIsInAnotherUnit() throws Exception {
        DecisionRequest.Builder tokens = SidecarFixture.decision("k-unit", "team", "100").toBuilder();
        tokens.getInputsBuilder().getProjectedClaimsBuilder(0).setUnit(SidecarFixture.USD.toBuilder().setUnitId("tokens"));

        DecisionResponse r = f.client.requestDecision(tokens.build()).await(10, TimeUnit.SECONDS);

        assertThat(r.getDecision()).isEqualTo(DecisionResponse.Decision.DECISION_UNSPECIFIED);
        assertThat(r.getError().getCode()).isEqualTo(Error.Code.UNIT_NORMALIZATION_REQUIRED);
        assertThat(f.budget("team").reservedMicros()).isZero();
    }

    @Test
    void refusesMalformedAmountsAndClaims() throws Exception {
        for (String amount : new String[] {"-5", "1e3", "1.5", "", "99999999999999999999", " 7"}) {
            Reply<DecisionResponse> r = f.call(SidecarAdapterGrpcClient.RequestDecision, SidecarFixture.decision("k-bad" + amount, "team", amount));
            assertThat(r.status()).as(amount).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
            assertThat(r.message()).as(amount).startsWith("inputs.projected_claims[0].amount_atomic");
        }
        DecisionRequest none = SidecarFixture.decision("k-none", "team", "1").toBuilder()
                .setInputs(DecisionRequest.Inputs.newBuilder()).build();
        Reply<DecisionResponse> r = f.call(SidecarAdapterGrpcClient.RequestDecision, none);
        assertThat(r.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(r.message()).isEqualTo("inputs.projected_claims: 0 claims (expected: 1 to 8: the call's budget, then each of its ancestors)");
    }

    @Test
    void answersNotFoundForAnUnknownBudget() throws Exception {
        Reply<DecisionResponse> r = f.call(SidecarAdapterGrpcClient.RequestDecision, SidecarFixture.decision("k-nobudget", "ghost", "1"));

        assertThat(r.status()).isEqualTo(GrpcStatus.NOT_FOUND);
        assertThat(r.message()).isEqualTo("unknown budget ghost");
    }

    @Test
    void answersUnimplementedForGrantsAndSessions() throws Exception {
        Reply<Struct> r = f.call(SidecarAdapterGrpcClient.IssueBudgetGrant, Struct.getDefaultInstance());
        Reply<Struct> s = f.call(SidecarAdapterGrpcClient.ReserveSession, Struct.getDefaultInstance());

        assertThat(r.status()).isEqualTo(GrpcStatus.UNIMPLEMENTED);
        assertThat(s.status()).isEqualTo(GrpcStatus.UNIMPLEMENTED);
    }
}
