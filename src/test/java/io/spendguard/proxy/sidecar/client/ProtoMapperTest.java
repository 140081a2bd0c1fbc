package io.spendguard.proxy.sidecar.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.adapter.v1.LlmCallPostPayload;
import io.spendguard.proto.common.v1.BudgetClaim;
import io.spendguard.proto.common.v1.Error;
import io.spendguard.proto.common.v1.UnitRef;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.engine.RunSnapshot;
import io.spendguard.proxy.sidecar.Wire;
import org.junit.jupiter.api.Test;

/** The pure half of the sidecar gate: what goes on the wire for a call, and what comes back. */
class ProtoMapperTest {
    private static final UnitRef UNIT = ProtoMapper.unit("usd_micros");
    private static final DecisionRequest CALL = new DecisionRequest("d-1", "team", 2_500, "gpt-4o", "hash", null, null,
            "chat:key-1", 1_200, 4_096, "prices-1", false);

    @Test
    void aDecisionRequestIsAPureFunctionOfTheCall() {
        byte[] once = ProtoMapper.decisionRequest(CALL, UNIT).toByteArray();
        byte[] again = ProtoMapper.decisionRequest(new DecisionRequest("d-1", "team", 2_500, "gpt-4o", "hash", null, null,
                "chat:key-1", 1_200, 4_096, "prices-1", false), ProtoMapper.unit("usd_micros")).toByteArray();

        assertThat(again).isEqualTo(once);
    }

    @Test
    void carriesOneDebitClaimInMicroDollarsWithTheEstimateAndKey() {
        var r = ProtoMapper.decisionRequest(CALL, UNIT);

        assertThat(r.getTrigger()).isEqualTo(io.spendguard.proto.adapter.v1.DecisionRequest.Trigger.LLM_CALL_PRE);
        assertThat(r.getRoute()).isEqualTo("llm.call");
        assertThat(r.getSessionId()).as("session ids change on reconnect; a retry must not").isEmpty();
        assertThat(r.getInputs().getProjectedClaimsList()).singleElement().satisfies(c -> {
            assertThat(c.getBudgetId()).isEqualTo("team");
            assertThat(c.getAmountAtomic()).isEqualTo("2500");
            assertThat(c.getDirection()).isEqualTo(BudgetClaim.Direction.DEBIT);
            assertThat(c.getUnit()).isEqualTo(UNIT);
        });
        assertThat(UNIT.getKind()).isEqualTo(UnitRef.Kind.MONETARY);
        assertThat(UNIT.getCurrency()).isEqualTo("USD");
        assertThat(UNIT.getUnitName()).isEqualTo("usd_micros");
        assertThat(r.getInputs().getProjectedUnit()).isEqualTo(UNIT);
        assertThat(r.getInputs().getClaimEstimate().getTokenizerTier()).isEqualTo("T1");
        assertThat(r.getInputs().getClaimEstimate().getInputTokens()).isEqualTo(1_200);
        assertThat(r.getInputs().getClaimEstimate().getPredictedATokens()).isEqualTo(4_096);
        assertThat(r.getInputs().getClaimEstimate().getModel()).isEqualTo("gpt-4o");
        assertThat(r.getInputs().getClaimEstimate().getReservedStrategy()).isEqualTo("ceiling");
        assertThat(r.getIdempotency().getKey()).isEqualTo("chat:key-1");
        assertThat(r.getIdempotency().getRequestHash().isEmpty()).isTrue();
    }

    @Test
    void runtimeMetadataCarriesWhatContractRulesSee() {
        DecisionRequest streamed = new DecisionRequest("d-3", "team", 10, "o3-mini", "h", null, null, null, 1, 1, "p", false,
                true, 300, "interns", null, null, "key-interns");
        var meta = ProtoMapper.decisionRequest(streamed, UNIT).getInputs().getRuntimeMetadata().getFieldsMap();
        assertThat(meta.get("stream").getBoolValue()).isTrue();
        assertThat(meta.get("max_output_tokens").getNumberValue()).isEqualTo(300);
        assertThat(meta.get("tenant").getStringValue()).isEqualTo("interns");
        assertThat(meta.get("key_id").getStringValue()).as("for the sidecar's audit record").isEqualTo("key-interns");

        var bare = ProtoMapper.decisionRequest(CALL, UNIT).getInputs().getRuntimeMetadata().getFieldsMap();
        assertThat(bare).containsOnlyKeys("stream");
        assertThat(bare.get("stream").getBoolValue()).isFalse();
    }

    @Test
    void runtimeMetadataCarriesTheRepeatedToolCallsOnlyWhenOneRepeats() {
        DecisionRequest looping = new DecisionRequest("d-4", "team", 10, "gpt-4o", "h", "run-9", null, null, 1, 1, "p", false,
                false, null, null, null, null, null, null, 4);
        var meta = ProtoMapper.decisionRequest(looping, UNIT).getInputs().getRuntimeMetadata().getFieldsMap();

        assertThat(meta.get(Wire.META_REPEATED_TOOL_CALLS).getNumberValue()).isEqualTo(4);
        assertThat(ProtoMapper.decisionRequest(CALL, UNIT).getInputs().getRuntimeMetadata().getFieldsMap())
                .as("a call that repeats nothing encodes as before").doesNotContainKey(Wire.META_REPEATED_TOOL_CALLS);
    }

    @Test
    void aRunRefusalsDetailsBecomeTheDecisionsRun() {
        Decision d = ProtoMapper.decision(CALL, DecisionResponse.newBuilder().setDecision(DecisionResponse.Decision.STOP)
                .addReasonCodes("RUN_STEP_LIMIT").setError(Error.newBuilder()
                        .putDetails(Wire.DETAIL_BUDGET_ID, "team").putDetails(Wire.DETAIL_REMAINING_USD_MICROS, "9000")
                        .putDetails(Wire.DETAIL_RUN_ID, "agent-1").putDetails(Wire.DETAIL_RUN_STEPS, "3")
                        .putDetails(Wire.DETAIL_RUN_USD_MICROS, "1234").putDetails(Wire.DETAIL_RUN_MAX_STEPS, "3")
                        .putDetails(Wire.DETAIL_RUN_MAX_USD_MICROS, "50000").putDetails(Wire.DETAIL_RUN_MAX_REPEATED_TOOL_CALLS, "4"))
                .build());

        assertThat(d.reasonCodes()).containsExactly("RUN_STEP_LIMIT");
        assertThat(d.remainingMicros()).isEqualTo(9_000);
        assertThat(d.run()).isEqualTo(new RunSnapshot("agent-1", 3, 1_234, 3, 50_000, 4));
    }

    @Test
    void aStopWithoutRunStepsHasNoRunAndALoopOfNoRunHasNoId() {
        Decision plain = ProtoMapper.decision(CALL, DecisionResponse.newBuilder().setDecision(DecisionResponse.Decision.STOP)
                .setError(Error.newBuilder().putDetails(Wire.DETAIL_RUN_ID, "agent-1")).build());
        Decision loop = ProtoMapper.decision(CALL, DecisionResponse.newBuilder().setDecision(DecisionResponse.Decision.STOP)
                .addReasonCodes("RUN_LOOP_DETECTED").setError(Error.newBuilder().putDetails(Wire.DETAIL_RUN_STEPS, "0")
                        .putDetails(Wire.DETAIL_RUN_USD_MICROS, "lots").putDetails(Wire.DETAIL_RUN_MAX_REPEATED_TOOL_CALLS, "3"))
                .build());

        assertThat(plain.run()).as("a sidecar that keeps no runs").isNull();
        assertThat(loop.run()).isEqualTo(new RunSnapshot(null, 0, 0, 0, 0, 3));
        assertThat(ProtoMapper.run(java.util.Map.of(Wire.DETAIL_RUN_STEPS, "-1"))).isNull();
    }

    @Test
    void readsTheRulesRoleAndApprovalDeadlineOfADecision() {
        Decision d = ProtoMapper.decision(CALL, DecisionResponse.newBuilder().setDecision(DecisionResponse.Decision.REQUIRE_APPROVAL)
                .setApprovalRequestId("apr_1").addReasonCodes("BIG").addMatchedRuleIds("big-spend").setApproverRole("finance")
                .setApprovalTtl(com.google.protobuf.Timestamp.newBuilder().setSeconds(1_800_000_000)).build());

        assertThat(d.matchedRuleIds()).containsExactly("big-spend");
        assertThat(d.approverRole()).isEqualTo("finance");
        assertThat(d.approvalExpiresAt()).isEqualTo(java.time.Instant.ofEpochSecond(1_800_000_000));
        Decision plain = ProtoMapper.decision(CALL, DecisionResponse.newBuilder().setDecision(DecisionResponse.Decision.STOP).build());
        assertThat(plain.approverRole()).isNull();
        assertThat(plain.approvalExpiresAt()).isNull();
        assertThat(plain.matchedRuleIds()).isEmpty();
    }

    @Test
    void idsAreDerivedFromTheDecisionIdAndTheKeyFallsBackToIt() {
        DecisionRequest keyless = new DecisionRequest("d-2", null, 10, "gpt-4o", null, "run-7", null, null, 1, 1, "p", false);
        var r = ProtoMapper.decisionRequest(keyless, UNIT);

        assertThat(r.getIds().getDecisionId()).isEqualTo("d-2");
        assertThat(r.getIds().getRunId()).isEqualTo("run-7");
        assertThat(r.getIds().getLlmCallId()).isEqualTo(ProtoMapper.llmCallId("d-2")).isNotEqualTo(ProtoMapper.llmCallId("d-1"));
        assertThat(r.getIds().getStepId()).isNotEmpty().isNotEqualTo(r.getIds().getLlmCallId());
        assertThat(ProtoMapper.decisionRequest(CALL, UNIT).getIds().getRunId()).as("derived when the client names none").isNotEmpty();
        assertThat(r.getIdempotency().getKey()).isEqualTo("d-2");
        assertThat(r.getInputs().getProjectedClaims(0).getBudgetId()).as("the sidecar's default budget").isEmpty();
    }

    @Test
    void stopWithoutReasonsIsBudgetExhaustedAndIgnoresMalformedDetails() {
        Decision d = ProtoMapper.decision(CALL, DecisionResponse.newBuilder().setDecision(DecisionResponse.Decision.STOP)
                .setError(Error.newBuilder().putDetails("remaining_usd_micros", "lots")).build());

        assertThat(d.outcome()).isEqualTo(Outcome.STOP);
        assertThat(d.reasonCodes()).containsExactly("BUDGET_EXHAUSTED");
        assertThat(d.remainingMicros()).isZero();
        assertThat(d.retryAfterSeconds()).isNull();
        assertThat(d.budgetId()).isEqualTo("team");
    }

    @Test
    void aStopByAnAncestorNamesThatLevelAndItsRemaining() {
        Decision d = ProtoMapper.decision(CALL, DecisionResponse.newBuilder().setDecision(DecisionResponse.Decision.STOP)
                .setError(Error.newBuilder().setCode(Error.Code.BUDGET_EXHAUSTED)
                        .putDetails(Wire.DETAIL_BUDGET_ID, "org").putDetails(Wire.DETAIL_REMAINING_USD_MICROS, "700")).build());

        assertThat(d.budgetId()).as("the level that refused, not the budget asked for").isEqualTo("org");
        assertThat(d.remainingMicros()).isEqualTo(700);
        assertThat(ProtoMapper.decisionRequest(CALL, UNIT).getInputs().getProjectedClaimsList())
                .as("the proxy claims on the budget it names; the sidecar expands it to every level").singleElement()
                .satisfies(c -> assertThat(c.getBudgetId()).isEqualTo("team"));
    }

    @Test
    void degradeAdmitsAndAnAdmissionWithoutAReservationIsAProtocolError() {
        Decision d = ProtoMapper.decision(CALL, DecisionResponse.newBuilder().setDecision(DecisionResponse.Decision.DEGRADE)
                .addReservationIds("res-1").build());

        assertThat(d.outcome().admits()).isTrue();
        assertThat(d.reservedMicros()).isEqualTo(2_500);
        assertThatThrownBy(() -> ProtoMapper.decision(CALL, DecisionResponse.newBuilder()
                .setDecision(DecisionResponse.Decision.CONTINUE).build()))
                .isInstanceOf(SidecarException.class).hasMessageContaining("without a reservation id");
    }

    @Test
    void settlementEventCarriesTheReservationAndAmountInTheUnit() {
        Decision d = ProtoMapper.decision(CALL, DecisionResponse.newBuilder().setDecision(DecisionResponse.Decision.CONTINUE)
                .addReservationIds("res-1").build());

        var event = ProtoMapper.settlement(d, UNIT, LlmCallPostPayload.Outcome.SUCCESS, 1_234);

        assertThat(event.getIds().getDecisionId()).isEqualTo("d-1");
        assertThat(event.getIds().getLlmCallId()).isEqualTo(ProtoMapper.llmCallId("d-1"));
        assertThat(event.getLlmCallPost().getReservationId()).isEqualTo("res-1");
        assertThat(event.getLlmCallPost().getEstimatedAmountAtomic()).isEqualTo("1234");
        assertThat(event.getLlmCallPost().getUnit()).isEqualTo(UNIT);
    }

    @Test
    void releaseReasonsMapToTheProtocolsOutcomes() {
        assertThat(ProtoMapper.releaseOutcome("provider_503")).isEqualTo(LlmCallPostPayload.Outcome.PROVIDER_ERROR);
        assertThat(ProtoMapper.releaseOutcome("upstream_unreachable")).isEqualTo(LlmCallPostPayload.Outcome.PROVIDER_ERROR);
        assertThat(ProtoMapper.releaseOutcome("client_gone_before_forward")).isEqualTo(LlmCallPostPayload.Outcome.RUN_ABORTED);
        assertThat(ProtoMapper.releaseOutcome("gate_timeout")).isEqualTo(LlmCallPostPayload.Outcome.RUN_ABORTED);
        assertThat(ProtoMapper.releaseOutcome("upstream_timeout")).isEqualTo(LlmCallPostPayload.Outcome.CLIENT_TIMEOUT);
    }
}
