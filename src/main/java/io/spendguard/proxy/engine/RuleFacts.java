package io.spendguard.proxy.engine;

import io.spendguard.proxy.ledger.RunState;
import io.spendguard.proxy.ledger.Ledger;
import java.util.List;
import java.util.Map;

/**
 * What a contract rule can see about one call: the budget and its state, the claim, and the request
 * as the proxy parsed it. {@code maxOutputTokens} is the output limit the request itself sets, 0 when
 * it sets none; {@code tenant} is the virtual key's tenant, else the gate's ({@code default} embedded).
 * The agent run: its id ("" without one), the calls admitted under it so far and its reserved +
 * committed µUSD (0 for a run not seen yet); {@code repeatedToolCalls} is how often the request's
 * history holds its most repeated tool call. In a budget tree, {@code budgetId} is the call's own budget
 * (the leaf), {@code budgetPath} the leaf and its ancestors (leaf first) and {@code remainingMicros} the
 * smallest remaining on that path. {@link #variables()} is the same as CEL variables
 * ({@code claim.usd_micros}, {@code request.model}, {@code run.steps}, {@code budget.path}…).
 */
public record RuleFacts(String budgetId, long claimMicros, long remainingMicros, double spentRatio, String model,
                        long maxOutputTokens, boolean stream, String tenant, String runId, long runSteps, long runUsdMicros,
                        long repeatedToolCalls, List<String> budgetPath) {

    public RuleFacts {
        budgetPath = budgetPath != null ? List.copyOf(budgetPath) : budgetId == null ? List.of() : List.of(budgetId);
    }

    /** The facts of a call on a budget of no parent. */
    public RuleFacts(String budgetId, long claimMicros, long remainingMicros, double spentRatio, String model,
                     long maxOutputTokens, boolean stream, String tenant, String runId, long runSteps, long runUsdMicros,
                     long repeatedToolCalls) {
        this(budgetId, claimMicros, remainingMicros, spentRatio, model, maxOutputTokens, stream, tenant, runId, runSteps, runUsdMicros,
                repeatedToolCalls, null);
    }

    /** The facts of a call under no run. */
    public RuleFacts(String budgetId, long claimMicros, long remainingMicros, double spentRatio, String model,
                     long maxOutputTokens, boolean stream, String tenant) {
        this(budgetId, claimMicros, remainingMicros, spentRatio, model, maxOutputTokens, stream, tenant, null, 0, 0, 0);
    }

    /** The CEL variable names and their values, as {@link Condition} declares them. */
    public Map<String, Object> variables() {
        return Map.ofEntries(
                Map.entry("claim.usd_micros", claimMicros),
                Map.entry("budget.id", budgetId == null ? "" : budgetId),
                Map.entry("budget.path", budgetPath),
                Map.entry("budget.remaining_usd_micros", remainingMicros),
                Map.entry("budget.spent_ratio", spentRatio),
                Map.entry("request.model", model == null ? "" : model),
                Map.entry("request.max_output_tokens", maxOutputTokens),
                Map.entry("request.stream", stream),
                Map.entry("request.repeated_tool_calls", repeatedToolCalls),
                Map.entry("run.id", runId == null ? "" : runId),
                Map.entry("run.steps", runSteps),
                Map.entry("run.usd_micros", runUsdMicros),
                Map.entry("tenant", tenant == null ? "" : tenant));
    }

    /** The facts for a call against {@code state}, under no run known to the ledger. */
    public static RuleFacts of(DecisionRequest request, BudgetState state) {
        return of(request, state, null);
    }

    /**
     * The facts for a call against {@code state} and its run as the ledger holds it ({@code run} null:
     * not seen yet, 0 steps); spent ratio is (committed + reserved) / limit, 1 for a zero limit.
     */
    public static RuleFacts of(DecisionRequest request, BudgetState state, RunState run) {
        return of(request, List.of(state), run);
    }

    /**
     * The facts for a call against {@code path} (its budget and the ancestors, leaf first): the leaf's
     * id and spent ratio, the path's ids and the smallest remaining on it.
     */
    public static RuleFacts of(DecisionRequest request, List<BudgetState> path, RunState run) {
        BudgetState state = path.get(0);
        long limit = state.spec().limitMicros();
        double ratio = limit == 0 ? 1.0 : Math.min(1.0, (double) Money.add(state.reservedMicros(), state.committedMicros()) / limit);
        return new RuleFacts(state.spec().id(), request.claimMicros(), Ledger.remainingOnPath(path), ratio, request.model(),
                request.maxOutputTokens() == null ? 0 : request.maxOutputTokens(), request.stream(),
                request.tenant() == null ? DecisionRequest.DEFAULT_TENANT : request.tenant(), request.runId(),
                run == null ? 0 : run.steps(), run == null ? 0 : run.usdMicros(), request.repeatedToolCalls(),
                path.stream().map(b -> b.spec().id()).toList());
    }
}
