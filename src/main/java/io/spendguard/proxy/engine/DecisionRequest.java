package io.spendguard.proxy.engine;

/**
 * What the gate is asked for one call: the claim in µUSD, the budget (null: the default budget), a
 * hash of the exact request (approvals cover that request only; null when unknown, e.g. a resume
 * through the sidecar protocol, which carries none), the run, the approval being resumed (null when
 * none), the idempotency key it was derived from (null when none), and the estimate behind the claim
 * (input tokens, output ceiling, pricing version) for audit. {@code mutated} is true when the request
 * already carries a DEGRADE mutation, so it is reserved as it is and not degraded again.
 * {@code traceparent} / {@code tracestate} are the client's W3C trace headers (null when none), passed
 * on to the sidecar as the decision's trace context.
 */
public record DecisionRequest(String decisionId, String budgetId, long claimMicros, String model, String requestHash,
                              String runId, String approvalId, String idempotencyKey, long inputTokens,
                              long outputTokens, String pricingVersion, boolean mutated, String traceparent, String tracestate) {

    /** A request that carries no trace context. */
    public DecisionRequest(String decisionId, String budgetId, long claimMicros, String model, String requestHash,
                           String runId, String approvalId, String idempotencyKey, long inputTokens,
                           long outputTokens, String pricingVersion, boolean mutated) {
        this(decisionId, budgetId, claimMicros, model, requestHash, runId, approvalId, idempotencyKey, inputTokens, outputTokens,
                pricingVersion, mutated, null, null);
    }

    /** The same call after its DEGRADE mutation was applied, with the claim re-estimated for it. */
    public DecisionRequest mutated(String newModel, long newClaimMicros, long newInputTokens, long newOutputTokens) {
        return new DecisionRequest(decisionId, budgetId, newClaimMicros, newModel, requestHash, runId, approvalId, idempotencyKey,
                newInputTokens, newOutputTokens, pricingVersion, true, traceparent, tracestate);
    }
}
