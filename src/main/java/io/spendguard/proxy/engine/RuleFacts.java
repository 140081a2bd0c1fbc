package io.spendguard.proxy.engine;

import java.util.Map;

/**
 * What a contract rule can see about one call: the budget and its state, the claim, and the request
 * as the proxy parsed it. {@code maxOutputTokens} is the output limit the request itself sets, 0 when
 * it sets none; {@code tenant} is the virtual key's tenant, else the gate's ({@code default} embedded).
 * {@link #variables()} is the same as CEL variables ({@code claim.usd_micros}, {@code request.model}…).
 */
public record RuleFacts(String budgetId, long claimMicros, long remainingMicros, double spentRatio, String model,
                        long maxOutputTokens, boolean stream, String tenant) {

    /** The CEL variable names and their values, as {@link Condition} declares them. */
    public Map<String, Object> variables() {
        return Map.of(
                "claim.usd_micros", claimMicros,
                "budget.id", budgetId == null ? "" : budgetId,
                "budget.remaining_usd_micros", remainingMicros,
                "budget.spent_ratio", spentRatio,
                "request.model", model == null ? "" : model,
                "request.max_output_tokens", maxOutputTokens,
                "request.stream", stream,
                "tenant", tenant == null ? "" : tenant);
    }

    /** The facts for a call against {@code state}: spent ratio is (committed + reserved) / limit, 1 for a zero limit. */
    public static RuleFacts of(DecisionRequest request, BudgetState state) {
        long limit = state.spec().limitMicros();
        double ratio = limit == 0 ? 1.0 : Math.min(1.0, (double) Money.add(state.reservedMicros(), state.committedMicros()) / limit);
        return new RuleFacts(state.spec().id(), request.claimMicros(), state.remainingMicros(), ratio, request.model(),
                request.maxOutputTokens() == null ? 0 : request.maxOutputTokens(), request.stream(),
                request.tenant() == null ? DecisionRequest.DEFAULT_TENANT : request.tenant());
    }
}
