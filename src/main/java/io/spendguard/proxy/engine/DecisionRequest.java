package io.spendguard.proxy.engine;

/**
 * What the gate is asked for one call: the claim in µUSD, the budget (null: the default budget), a
 * hash of the exact request (approvals cover that request only; null when unknown, e.g. a resume
 * through the sidecar protocol, which carries none), the run, the approval being resumed (null when
 * none), the idempotency key it was derived from (null when none), and the estimate behind the claim
 * (input tokens, output ceiling, pricing version) for audit. {@code mutated} is true when the request
 * already carries a DEGRADE mutation, so it is reserved as it is and not degraded again.
 * Contract rules also see whether the call streams, the output limit the request itself sets (null:
 * none) and the tenant (the virtual key's; null: the gate's own, {@value #DEFAULT_TENANT} embedded).
 * {@code traceparent} / {@code tracestate} are the client's W3C trace headers (null when none), passed
 * on to the sidecar as the decision's trace context. {@code keyId} is the virtual key's id (null:
 * none), for the audit record. {@code caller} is who asks (the virtual key, or a digest of the
 * passthrough credential; null: not known, e.g. a resume through the sidecar protocol): an approval
 * belongs to the caller that asked for it. {@code runId} names the agent run ({@code X-SpendGuard-Run-Id};
 * null: none) and {@code repeatedToolCalls} is how many times the request's history holds its most
 * repeated tool call (same name and arguments; 0: none repeated, or not counted).
 */
public record DecisionRequest(String decisionId, String budgetId, long claimMicros, String model, String requestHash,
                              String runId, String approvalId, String idempotencyKey, long inputTokens,
                              long outputTokens, String pricingVersion, boolean mutated, boolean stream,
                              Integer maxOutputTokens, String tenant, String traceparent, String tracestate,
                              String keyId, String caller, int repeatedToolCalls) {
    /** The tenant rules see when a call names none. */
    public static final String DEFAULT_TENANT = "default";

    public DecisionRequest {
        if (repeatedToolCalls < 0) {
            throw new IllegalArgumentException("repeatedToolCalls: " + repeatedToolCalls + " (expected: >= 0)");
        }
    }

    /** A call whose history's repeated tool calls are not counted. */
    public DecisionRequest(String decisionId, String budgetId, long claimMicros, String model, String requestHash,
                           String runId, String approvalId, String idempotencyKey, long inputTokens,
                           long outputTokens, String pricingVersion, boolean mutated, boolean stream,
                           Integer maxOutputTokens, String tenant, String traceparent, String tracestate,
                           String keyId, String caller) {
        this(decisionId, budgetId, claimMicros, model, requestHash, runId, approvalId, idempotencyKey, inputTokens, outputTokens,
                pricingVersion, mutated, stream, maxOutputTokens, tenant, traceparent, tracestate, keyId, caller, 0);
    }

    /** A call whose caller is not known. */
    public DecisionRequest(String decisionId, String budgetId, long claimMicros, String model, String requestHash,
                           String runId, String approvalId, String idempotencyKey, long inputTokens,
                           long outputTokens, String pricingVersion, boolean mutated, boolean stream,
                           Integer maxOutputTokens, String tenant, String traceparent, String tracestate, String keyId) {
        this(decisionId, budgetId, claimMicros, model, requestHash, runId, approvalId, idempotencyKey, inputTokens, outputTokens,
                pricingVersion, mutated, stream, maxOutputTokens, tenant, traceparent, tracestate, keyId, null);
    }

    /** A call with no stream flag, output limit, tenant, trace context or caller known (e.g. a resume). */
    public DecisionRequest(String decisionId, String budgetId, long claimMicros, String model, String requestHash,
                           String runId, String approvalId, String idempotencyKey, long inputTokens,
                           long outputTokens, String pricingVersion, boolean mutated) {
        this(decisionId, budgetId, claimMicros, model, requestHash, runId, approvalId, idempotencyKey, inputTokens, outputTokens,
                pricingVersion, mutated, false, null, null, null, null, null, null);
    }

    /** The same call after its DEGRADE mutation was applied, with the claim re-estimated for it. */
    public DecisionRequest mutated(String newModel, long newClaimMicros, long newInputTokens, long newOutputTokens) {
        return mutated(new Mutation(newModel, null, null), newClaimMicros, newInputTokens, newOutputTokens);
    }

    /** The same call after {@code applied}, with the claim re-estimated for it. */
    public DecisionRequest mutated(Mutation applied, long newClaimMicros, long newInputTokens, long newOutputTokens) {
        return new DecisionRequest(decisionId, budgetId, newClaimMicros, applied.model() != null ? applied.model() : model,
                requestHash, runId, approvalId, idempotencyKey, newInputTokens, newOutputTokens, pricingVersion, true, stream,
                applied.maxOutputTokens() != null ? applied.maxOutputTokens() : maxOutputTokens, tenant, traceparent, tracestate,
                keyId, caller, repeatedToolCalls);
    }
}
