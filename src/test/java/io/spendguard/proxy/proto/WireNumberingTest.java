package io.spendguard.proxy.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.spendguard.proto.adapter.v1.DecisionRequest;
import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.adapter.v1.HandshakeRequest;
import io.spendguard.proto.adapter.v1.HandshakeResponse;
import io.spendguard.proto.adapter.v1.LlmCallPostPayload;
import io.spendguard.proto.adapter.v1.ReleaseReservationRequest;
import io.spendguard.proto.adapter.v1.ResumeAfterApprovalResponse;
import io.spendguard.proto.adapter.v1.TraceEvent;
import io.spendguard.proto.adapter.v1.TraceEventAck;
import io.spendguard.proto.common.v1.BudgetClaim;
import io.spendguard.proto.common.v1.Error;
import io.spendguard.proto.common.v1.UnitRef;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * Decodes bytes built by hand from the field numbers in WIRE.md — not from our generated classes —
 * so a renumbered or retyped field in the .proto files fails here before it breaks wire compatibility
 * with the SpendGuard sidecar and SDKs.
 */
class WireNumberingTest {

    /** A protobuf message written field by field. */
    private static final class Msg {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final CodedOutputStream out = CodedOutputStream.newInstance(bytes);

        Msg str(int field, String value) throws IOException {
            out.writeString(field, value);
            return this;
        }

        Msg varint(int field, long value) throws IOException {
            out.writeUInt64(field, value);
            return this;
        }

        Msg msg(int field, Msg inner) throws IOException {
            out.writeBytes(field, ByteString.copyFrom(inner.bytes()));
            return this;
        }

        Msg fixed32(int field, float value) throws IOException {
            out.writeFloat(field, value);
            return this;
        }

        byte[] bytes() throws IOException {
            out.flush();
            return bytes.toByteArray();
        }
    }

    private static Msg m() {
        return new Msg();
    }

    @Test
    void decisionRequestFieldsSitAtTheirWireNumbers() throws Exception {
        byte[] wire = m().str(1, "sess-1").varint(2, 3)
                .msg(3, m().str(1, "trace-1").str(2, "span-1"))
                .msg(4, m().str(1, "run-1").str(2, "step-1").str(3, "call-1").str(5, "dec-1"))
                .str(5, "llm.call")
                .msg(6, m()
                        .msg(1, m().str(1, "team").msg(2, m().str(1, "usd_micros").varint(2, 1).str(3, "USD").str(4, "usd_micros"))
                                .str(3, "12345").varint(4, 1).str(5, "w-2026-11"))
                        .str(2, "100").str(5, "900")
                        .msg(6, m().str(1, "usd_micros").varint(2, 1))
                        .msg(8, m().str(1, "T1").varint(3, 42).varint(4, 100).str(7, "ceiling").fixed32(10, 0.5f)
                                .varint(17, 7).str(20, "gpt-4o").str(21, "chat")))
                .str(7, "parent-1").str(8, "jti-1")
                .msg(9, m().str(1, "idem-1"))
                .varint(17, 5).varint(18, 1).varint(19, 1)
                .bytes();

        DecisionRequest r = DecisionRequest.parseFrom(wire);
        assertThat(r.getSessionId()).isEqualTo("sess-1");
        assertThat(r.getTrigger()).isEqualTo(DecisionRequest.Trigger.LLM_CALL_PRE);
        assertThat(r.getTrace().getSpanId()).isEqualTo("span-1");
        assertThat(r.getIds().getDecisionId()).isEqualTo("dec-1");
        assertThat(r.getIds().getLlmCallId()).isEqualTo("call-1");
        assertThat(r.getRoute()).isEqualTo("llm.call");
        BudgetClaim claim = r.getInputs().getProjectedClaims(0);
        assertThat(claim.getBudgetId()).isEqualTo("team");
        assertThat(claim.getUnit().getKind()).isEqualTo(UnitRef.Kind.MONETARY);
        assertThat(claim.getUnit().getUnitName()).isEqualTo("usd_micros");
        assertThat(claim.getAmountAtomic()).isEqualTo("12345");
        assertThat(claim.getDirection()).isEqualTo(BudgetClaim.Direction.DEBIT);
        assertThat(claim.getWindowInstanceId()).isEqualTo("w-2026-11");
        assertThat(r.getInputs().getProjectedP50Atomic()).isEqualTo("100");
        assertThat(r.getInputs().getProjectedP99Atomic()).isEqualTo("900");
        assertThat(r.getInputs().getClaimEstimate().getInputTokens()).isEqualTo(42);
        assertThat(r.getInputs().getClaimEstimate().getPredictedATokens()).isEqualTo(100);
        assertThat(r.getInputs().getClaimEstimate().getPredictionConfidence()).isEqualTo(0.5f);
        assertThat(r.getInputs().getClaimEstimate().getRunPredictedRemainingSteps()).isEqualTo(7);
        assertThat(r.getInputs().getClaimEstimate().getModel()).isEqualTo("gpt-4o");
        assertThat(r.getInputs().getClaimEstimate().getPromptClass()).isEqualTo("chat");
        assertThat(r.getParentRunId()).isEqualTo("parent-1");
        assertThat(r.getIdempotency().getKey()).isEqualTo("idem-1");
        assertThat(r.getPlannedStepsHint()).isEqualTo(5);
        assertThat(r.getReservationSource().getNumber()).isEqualTo(1);
        assertThat(r.getMeterOnlyEstimate()).isTrue();
        assertThat(r.getUnknownFields().asMap()).isEmpty();
    }

    @Test
    void decisionResponseFieldsSitAtTheirWireNumbers() throws Exception {
        byte[] wire = m().str(1, "dec-1").str(2, "audit-1").varint(3, 5).str(4, "APPROVAL_REQUIRED").str(5, "rule-1")
                .str(6, "[]").str(8, "ltx-1").str(9, "res-1").str(9, "res-2")
                .msg(10, m().varint(1, 1_800_000_000L)).str(11, "apr-1").str(13, "finance").varint(14, 1)
                .msg(15, m().varint(1, 5).str(2, "no room").msg(3, m().str(1, "remaining_usd_micros").str(2, "7")))
                .str(16, "R1")
                .msg(17, m().str(1, "meter"))
                .bytes();
        DecisionResponse r = DecisionResponse.parseFrom(wire);
        assertThat(r.getDecisionId()).isEqualTo("dec-1");
        assertThat(r.getDecision()).isEqualTo(DecisionResponse.Decision.REQUIRE_APPROVAL);
        assertThat(r.getReasonCodesList()).containsExactly("APPROVAL_REQUIRED");
        assertThat(r.getMatchedRuleIdsList()).containsExactly("rule-1");
        assertThat(r.getReservationIdsList()).containsExactly("res-1", "res-2");
        assertThat(r.getTtlExpiresAt().getSeconds()).isEqualTo(1_800_000_000L);
        assertThat(r.getApprovalRequestId()).isEqualTo("apr-1");
        assertThat(r.getApproverRole()).isEqualTo("finance");
        assertThat(r.getTerminal()).isTrue();
        assertThat(r.getError().getCode()).isEqualTo(Error.Code.BUDGET_EXHAUSTED);
        assertThat(r.getError().getDetailsMap()).containsEntry("remaining_usd_micros", "7");
        assertThat(r.getRunCodeTriggered()).isEqualTo("R1");
        // subscription_meter (17) is not in our .proto: skipped as an unknown field, not an error.
        assertThat(r.getUnknownFields().hasField(17)).isTrue();
    }

    @Test
    void traceEventAndAckFieldsSitAtTheirWireNumbers() throws Exception {
        byte[] wire = m().str(1, "sess-1").msg(3, m().str(5, "dec-1")).varint(4, 4).msg(5, m().varint(1, 1_800_000_000L))
                .str(7, "x-request-id: req_1")
                .msg(8, m().str(1, "res-1").str(2, "480").msg(3, m().str(1, "usd_micros")).msg(4, m().str(1, "2026-11-01"))
                        .str(5, "chatcmpl-1").varint(6, 1).str(7, "500").varint(8, 120).varint(9, 30))
                .bytes();
        TraceEvent e = TraceEvent.parseFrom(wire);
        assertThat(e.getKind()).isEqualTo(TraceEvent.EventKind.LLM_CALL_POST);
        assertThat(e.getIds().getDecisionId()).isEqualTo("dec-1");
        assertThat(e.getProviderResponseMetadata()).isEqualTo("x-request-id: req_1");
        assertThat(e.getPayloadCase()).isEqualTo(TraceEvent.PayloadCase.LLM_CALL_POST);
        LlmCallPostPayload p = e.getLlmCallPost();
        assertThat(p.getReservationId()).isEqualTo("res-1");
        assertThat(p.getProviderReportedAmountAtomic()).isEqualTo("480");
        assertThat(p.getPricing().getPricingVersion()).isEqualTo("2026-11-01");
        assertThat(p.getProviderEventId()).isEqualTo("chatcmpl-1");
        assertThat(p.getOutcome()).isEqualTo(LlmCallPostPayload.Outcome.SUCCESS);
        assertThat(p.getEstimatedAmountAtomic()).isEqualTo("500");
        assertThat(p.hasActualInputTokens()).isTrue();
        assertThat(p.getActualInputTokens()).isEqualTo(120);
        assertThat(p.getActualOutputTokens()).isEqualTo(30);
        assertThat(p.hasDeltaBRatio()).isFalse();

        TraceEventAck ack = TraceEventAck.parseFrom(m().str(1, "res-1").varint(2, 3).msg(3, m().varint(1, 13)).bytes());
        assertThat(ack.getStatus()).isEqualTo(TraceEventAck.Status.REJECTED);
        assertThat(ack.getError().getCode()).isEqualTo(Error.Code.RESERVATION_STATE_CONFLICT);
    }

    @Test
    void handshakeReleaseAndResumeFieldsSitAtTheirWireNumbers() throws Exception {
        HandshakeRequest h = HandshakeRequest.parseFrom(m().str(1, "1.0").str(2, "egress-proxy").str(3, "17").varint(4, 0x20)
                .str(5, "tenant-1").str(6, "pod-1").varint(7, 1).bytes());
        assertThat(h.getCapabilityLevel()).isEqualTo(HandshakeRequest.CapabilityLevel.L1_LLM_CALL);
        assertThat(h.getTenantIdAssertion()).isEqualTo("tenant-1");
        assertThat(h.getWorkloadInstanceId()).isEqualTo("pod-1");
        assertThat(h.getProtocolVersion()).isEqualTo(1);

        HandshakeResponse hr = HandshakeResponse.parseFrom(m().str(1, "sidecar/2").varint(4, 0x30)
                .msg(5, m().str(1, "k1").str(2, "s1")).varint(6, 1).str(7, "sess-9").str(8, "key-1").bytes());
        assertThat(hr.getCapabilityRequired()).isEqualTo(HandshakeRequest.CapabilityLevel.L2_STEP);
        assertThat(hr.getActiveKeyEpochs().getProducerSigningKeyEpochsList()).containsExactly("k1");
        assertThat(hr.getActiveKeyEpochs().getHmacTenantSaltEpochsList()).containsExactly("s1");
        assertThat(hr.getSessionId()).isEqualTo("sess-9");
        assertThat(hr.getSigningKeyId()).isEqualTo("key-1");

        ReleaseReservationRequest rel = ReleaseReservationRequest.parseFrom(m().str(1, "res-1").str(2, "idem").str(3, "PROVIDER_ERROR")
                .str(100, "tenant-1").str(101, "pod-1").str(102, "sess-1").bytes());
        assertThat(rel.getReasonCodesList()).containsExactly("PROVIDER_ERROR");
        assertThat(rel.getTenantId()).isEqualTo("tenant-1");
        assertThat(rel.getWorkloadInstanceId()).isEqualTo("pod-1");
        assertThat(rel.getSessionId()).isEqualTo("sess-1");

        ResumeAfterApprovalResponse pending = ResumeAfterApprovalResponse.parseFrom(
                m().msg(3, m().str(2, "[APPROVAL_NON_TERMINAL] pending")).bytes());
        assertThat(pending.getOutcomeCase()).isEqualTo(ResumeAfterApprovalResponse.OutcomeCase.ERROR);
        assertThat(pending.getError().getMessage()).startsWith("[APPROVAL_NON_TERMINAL]");
        ResumeAfterApprovalResponse denied = ResumeAfterApprovalResponse.parseFrom(
                m().msg(2, m().str(1, "audit-1").str(2, "too big").str(3, "alice").str(4, "rule-9")).bytes());
        assertThat(denied.getDenied().getApproverReason()).isEqualTo("too big");
        assertThat(denied.getDenied().getMatchedRuleIdsList()).containsExactly("rule-9");
        ResumeAfterApprovalResponse go = ResumeAfterApprovalResponse.parseFrom(m().msg(1, m().varint(3, 1).str(9, "res-1")).bytes());
        assertThat(go.getDecision().getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
        assertThat(go.getDecision().getReservationIdsList()).containsExactly("res-1");
    }
}
