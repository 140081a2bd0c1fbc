package io.spendguard.proxy.sidecar.client;

import io.spendguard.proxy.gate.Traceparent;
import io.spendguard.proto.adapter.v1.ClaimEstimate;
import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.adapter.v1.LlmCallPostPayload;
import io.spendguard.proto.adapter.v1.ResumeAfterApprovalResponse;
import io.spendguard.proto.adapter.v1.TraceEvent;
import io.spendguard.proto.common.v1.BudgetClaim;
import io.spendguard.proto.common.v1.Idempotency;
import io.spendguard.proto.common.v1.SpendGuardIds;
import io.spendguard.proto.common.v1.TraceContext;
import io.spendguard.proto.common.v1.UnitRef;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.engine.Mutation;
import io.spendguard.proxy.engine.RunSnapshot;
import io.spendguard.proxy.error.ProxyError;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.spendguard.proxy.sidecar.Wire;
import java.util.List;
import java.util.Map;

/**
 * Pure translation between the gate's records and the sidecar protocol (WIRE.md). Every field of a
 * {@code RequestDecision} is a function of the {@link DecisionRequest} alone — ids are name-based
 * UUIDs of the decision id, nothing reads a clock or a random source — so a retried call encodes to
 * the same bytes and the sidecar's idempotency fingerprint matches. A request carries one claim, on
 * the budget the call names (none: the sidecar's default): the sidecar knows the budget tree and holds
 * the claim on every ancestor too; a STOP names the level that refused ({@link Wire#DETAIL_BUDGET_ID}),
 * which may be an ancestor of the budget asked for.
 */
final class ProtoMapper {
    static final String ROUTE = "llm.call";
    /** What a refusal names when the call used the sidecar's default budget. */
    static final String DEFAULT_BUDGET = "default";

    private ProtoMapper() { }

    /** µUSD in the configured unit. */
    static UnitRef unit(String unitId) {
        return UnitRef.newBuilder().setUnitId(unitId).setKind(UnitRef.Kind.MONETARY).setCurrency("USD")
                .setUnitName("usd_micros").build();
    }

    static io.spendguard.proto.adapter.v1.DecisionRequest decisionRequest(DecisionRequest r, UnitRef unit) {
        String decisionId = r.decisionId();
        var request = io.spendguard.proto.adapter.v1.DecisionRequest.newBuilder();
        String traceId = Traceparent.traceId(r.traceparent());
        if (traceId != null) {
            // The decision is a span of the client's trace; its id is derived, so a retried call asks the same question.
            request.setTrace(TraceContext.newBuilder()
                    .setTraceId(traceId)
                    .setSpanId(derived("span", decisionId).replace("-", "").substring(0, 16))
                    .setParentSpanId(Traceparent.parentId(r.traceparent()))
                    .setTraceState(r.tracestate() == null ? "" : r.tracestate()));
        }
        return request
                .setTrigger(io.spendguard.proto.adapter.v1.DecisionRequest.Trigger.LLM_CALL_PRE)
                .setIds(SpendGuardIds.newBuilder()
                        .setRunId(r.runId() != null ? r.runId() : derived("run", decisionId))
                        .setStepId(derived("step", decisionId))
                        .setLlmCallId(llmCallId(decisionId))
                        .setDecisionId(decisionId))
                .setRoute(ROUTE)
                .setInputs(io.spendguard.proto.adapter.v1.DecisionRequest.Inputs.newBuilder()
                        .addProjectedClaims(BudgetClaim.newBuilder()
                                .setBudgetId(r.budgetId() == null ? "" : r.budgetId())
                                .setUnit(unit)
                                .setAmountAtomic(Long.toString(r.claimMicros()))
                                .setDirection(BudgetClaim.Direction.DEBIT))
                        .setProjectedUnit(unit)
                        .setRuntimeMetadata(runtimeMetadata(r))
                        .setClaimEstimate(ClaimEstimate.newBuilder()
                                .setTokenizerTier("T1")
                                .setInputTokens(r.inputTokens())
                                .setPredictedATokens(r.outputTokens())
                                .setReservedStrategy("ceiling")
                                .setRunPredictedRemainingSteps(-1)
                                .setModel(r.model() == null ? "" : r.model())))
                .setIdempotency(Idempotency.newBuilder()
                        .setKey(r.idempotencyKey() != null ? r.idempotencyKey() : decisionId))
                .build();
    }

    /**
     * What contract rules on the sidecar see of the request beyond the claim: whether it streams, the
     * output limit it sets, and the virtual key's tenant and id (left out when there is none; the id is
     * for the sidecar's audit record), and the caller (key id or credential digest, never a credential),
     * whom an approval asked for here belongs to, and how often the history repeats its most repeated
     * tool call (left out when none is repeated), for the run's loop limit.
     */
    static Struct runtimeMetadata(DecisionRequest r) {
        Struct.Builder s = Struct.newBuilder().putFields(Wire.META_STREAM, Value.newBuilder().setBoolValue(r.stream()).build());
        if (r.maxOutputTokens() != null) {
            s.putFields(Wire.META_MAX_OUTPUT_TOKENS, Value.newBuilder().setNumberValue(r.maxOutputTokens()).build());
        }
        if (r.tenant() != null) {
            s.putFields(Wire.META_TENANT, Value.newBuilder().setStringValue(r.tenant()).build());
        }
        if (r.keyId() != null) {
            s.putFields(Wire.META_KEY_ID, Value.newBuilder().setStringValue(r.keyId()).build());
        }
        if (r.caller() != null) {
            s.putFields(Wire.META_CALLER, Value.newBuilder().setStringValue(r.caller()).build());
        }
        if (r.repeatedToolCalls() > 0) {
            s.putFields(Wire.META_REPEATED_TOOL_CALLS, Value.newBuilder().setNumberValue(r.repeatedToolCalls()).build());
        }
        return s.build();
    }

    /** The LLM call id of a decision, the same at decision and at settlement. */
    static String llmCallId(String decisionId) {
        return derived("llm_call", decisionId);
    }

    private static String derived(String kind, String decisionId) {
        return Wire.derived(kind, decisionId);
    }

    /** The gate's view of a decision; fails with a {@link SidecarException} for answers the protocol does not allow. */
    static Decision decision(DecisionRequest r, DecisionResponse d) {
        Decision decision = outcome(r, d);
        java.time.Instant expires = d.hasApprovalTtl()
                ? java.time.Instant.ofEpochSecond(d.getApprovalTtl().getSeconds(), d.getApprovalTtl().getNanos()) : null;
        return decision.withRules(d.getMatchedRuleIdsList(), d.getApproverRole().isEmpty() ? null : d.getApproverRole(), expires);
    }

    private static Decision outcome(DecisionRequest r, DecisionResponse d) {
        String budget = r.budgetId() != null ? r.budgetId() : DEFAULT_BUDGET;
        return switch (d.getDecision()) {
            case CONTINUE, DEGRADE -> {
                if (d.getReservationIdsCount() == 0) {
                    throw SidecarException.protocol("protocol", d.getDecision() + " without a reservation id");
                }
                Mutation mutation;
                try {
                    mutation = d.getDecision() == DecisionResponse.Decision.DEGRADE ? Mutation.fromPatch(d.getMutationPatchJson()) : null;
                } catch (IllegalArgumentException e) {
                    throw SidecarException.unusableDegrade(e.getMessage(), new Decision(Outcome.CONTINUE, r.decisionId(), budget,
                            d.getReservationIds(0), r.claimMicros(), r.claimMicros(), 0, List.of(), r.approvalId(), null, null));
                }
                yield new Decision(Outcome.valueOf(d.getDecision().name()), r.decisionId(), budget, d.getReservationIds(0),
                        r.claimMicros(), r.claimMicros(), 0, d.getReasonCodesList(), r.approvalId(), null, mutation);
            }
            case STOP, SKIP, STOP_RUN_PROJECTION -> {
                Map<String, String> details = d.getError().getDetailsMap();
                List<String> reasons = d.getReasonCodesCount() > 0 ? d.getReasonCodesList() : List.of(Engine.BUDGET_EXHAUSTED);
                Long remaining = number(details.get(Wire.DETAIL_REMAINING_USD_MICROS));
                yield new Decision(Outcome.valueOf(d.getDecision().name()), r.decisionId(), details.getOrDefault(Wire.DETAIL_BUDGET_ID, budget),
                        null, r.claimMicros(), 0, remaining == null ? 0 : remaining, reasons, null,
                        number(details.get(Wire.DETAIL_RETRY_AFTER_SECONDS)), null).withRun(run(details));
            }
            case REQUIRE_APPROVAL -> {
                String approval = !d.getApprovalRequestId().isEmpty() ? d.getApprovalRequestId() : r.approvalId();
                if (approval == null) {
                    throw SidecarException.protocol("protocol", "REQUIRE_APPROVAL without an approval_request_id");
                }
                List<String> reasons = d.getReasonCodesCount() > 0 ? d.getReasonCodesList() : List.of(Engine.APPROVAL_REQUIRED);
                yield new Decision(Outcome.REQUIRE_APPROVAL, r.decisionId(), budget, null, r.claimMicros(), 0, 0, reasons,
                        approval, null, null);
            }
            default -> throw SidecarException.protocol("decision_unspecified", "the sidecar answered " + d.getDecision());
        };
    }

    /** The gate's view of a resume; approval outcomes that are not decisions fail with their {@link ProxyError}. */
    static Decision resumed(DecisionRequest r, ResumeAfterApprovalResponse resp) {
        String id = r.approvalId();
        switch (resp.getOutcomeCase()) {
            case DECISION -> {
                return decision(r, resp.getDecision());
            }
            case DENIED -> {
                String why = resp.getDenied().getApproverReason();
                throw ProxyError.APPROVAL_DENIED.exception("Approval '" + id + "' was denied" + (why.isEmpty() ? "." : ": " + why));
            }
            case ERROR -> {
                String message = resp.getError().getMessage();
                if (message.startsWith(Wire.APPROVAL_NON_TERMINAL)) {
                    return new Decision(Outcome.REQUIRE_APPROVAL, r.decisionId(), r.budgetId() != null ? r.budgetId() : DEFAULT_BUDGET,
                            null, r.claimMicros(), 0, 0, List.of(Engine.APPROVAL_REQUIRED), id, null, null);
                }
                if (message.startsWith(Wire.APPROVAL_EXPIRED)) {
                    throw ProxyError.APPROVAL_EXPIRED.exception("Approval '" + id + "' expired before it was approved.");
                }
                if (message.startsWith(Wire.APPROVAL_CONSUMED)) {
                    throw ProxyError.APPROVAL_CONSUMED.exception("Approval '" + id + "' has already been used.");
                }
                if (message.startsWith(Wire.APPROVAL_UNKNOWN)) {
                    throw ProxyError.UNKNOWN_APPROVAL.exception("Approval '" + id + "' does not exist.");
                }
                throw SidecarException.protocol("resume_error", "resume failed: " + message);
            }
            default -> throw SidecarException.protocol("protocol", "ResumeAfterApproval answered with no outcome");
        }
    }

    /** The LLM_CALL_POST event that settles an admitted call: SUCCESS commits {@code amountMicros}, any other outcome releases. */
    static TraceEvent settlement(Decision d, UnitRef unit, LlmCallPostPayload.Outcome outcome, long amountMicros) {
        String amount = Long.toString(amountMicros);
        return TraceEvent.newBuilder()
                .setKind(TraceEvent.EventKind.LLM_CALL_POST)
                .setIds(SpendGuardIds.newBuilder().setDecisionId(d.decisionId()).setLlmCallId(llmCallId(d.decisionId())))
                .setLlmCallPost(LlmCallPostPayload.newBuilder()
                        .setReservationId(d.reservationId())
                        .setUnit(unit)
                        .setOutcome(outcome)
                        .setEstimatedAmountAtomic(amount)
                        .setProviderReportedAmountAtomic(amount))
                .build();
    }

    /** How a release reason reads on the wire: the client went away, it timed out, or the provider failed. */
    static LlmCallPostPayload.Outcome releaseOutcome(String reason) {
        if (reason.startsWith("client") || reason.equals("gate_timeout")) {
            return LlmCallPostPayload.Outcome.RUN_ABORTED;
        }
        if (reason.contains("timeout")) {
            return LlmCallPostPayload.Outcome.CLIENT_TIMEOUT;
        }
        return LlmCallPostPayload.Outcome.PROVIDER_ERROR;
    }

    /**
     * The run a STOP's details describe ({@code run_steps} and the other {@code run_} keys); null when
     * they describe none, as from a sidecar that does not keep runs. Unreadable numbers read as 0.
     */
    static RunSnapshot run(Map<String, String> details) {
        Long steps = number(details.get(Wire.DETAIL_RUN_STEPS));
        if (steps == null || steps < 0) {
            return null;
        }
        String id = details.get(Wire.DETAIL_RUN_ID);
        return new RunSnapshot(id == null || id.isEmpty() ? null : id, steps, orZero(details.get(Wire.DETAIL_RUN_USD_MICROS)),
                orZero(details.get(Wire.DETAIL_RUN_MAX_STEPS)), orZero(details.get(Wire.DETAIL_RUN_MAX_USD_MICROS)),
                (int) Math.min(Integer.MAX_VALUE, orZero(details.get(Wire.DETAIL_RUN_MAX_REPEATED_TOOL_CALLS))));
    }

    private static long orZero(String value) {
        Long n = number(value);
        return n == null || n < 0 ? 0 : n;
    }

    private static Long number(String value) {
        if (value == null) {
            return null;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
