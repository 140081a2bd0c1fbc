package io.spendguard.proxy.engine;

/**
 * What the gate is asked for one call: the claim in µUSD, the budget (null: the default budget), a
 * hash of the exact request (approvals cover that request only), the run, and the approval being
 * resumed (null when none).
 */
public record DecisionRequest(String decisionId, String budgetId, long claimMicros, String model, String requestHash,
                              String runId, String approvalId) { }
