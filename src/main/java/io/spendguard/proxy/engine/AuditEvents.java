package io.spendguard.proxy.engine;

import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.RunState;
import java.util.TreeMap;
import java.util.Map;

/**
 * The audit events the engine and the ledgers write, built from engine types: one per decision, per
 * settlement (commit, release, expiry), per budget change and per run stopped.
 */
public final class AuditEvents {
    private AuditEvents() {
    }

    /** A decision the engine made about {@code request}; {@code decision} is what it answered. */
    public static AuditEvent decision(DecisionRequest request, Decision decision) {
        return decision(request, decision, null);
    }

    /**
     * A decision about a call on a budget of a tree: {@code path} is the call's budget and its ancestors,
     * leaf first ({@code budget_path}; left out for a budget of no parent). The record is filed under the
     * decision's budget — for a refusal, the level that refused.
     */
    public static AuditEvent decision(DecisionRequest request, Decision decision, java.util.List<String> path) {
        Map<String, Object> d = new TreeMap<>();
        d.put("decision_id", decision.decisionId());
        d.put("outcome", decision.outcome().name());
        d.put("reservation_id", decision.reservationId());
        d.put("claim_usd_micros", decision.claimMicros());
        d.put("reserved_usd_micros", decision.reservedMicros());
        d.put("remaining_usd_micros", decision.remainingMicros());
        d.put("reason_codes", decision.reasonCodes());
        d.put("matched_rule_ids", decision.matchedRuleIds());
        d.put("approval_id", decision.approvalId());
        d.put("approver_role", decision.approverRole());
        d.put("mutation_model", decision.mutation() == null ? null : decision.mutation().model());
        d.put("model", request.model());
        d.put("input_tokens", request.inputTokens());
        d.put("output_tokens", request.outputTokens());
        d.put("pricing_version", request.pricingVersion());
        d.put("key_id", request.keyId());
        d.put("tenant", request.tenant());
        d.put("run_id", request.runId());
        if (decision.run() != null) {
            d.put("run_steps", decision.run().steps());
            d.put("run_usd_micros", decision.run().usdMicros());
        }
        d.put("repeated_tool_calls", request.repeatedToolCalls() > 0 ? request.repeatedToolCalls() : null);
        d.put("degraded", request.mutated() ? Boolean.TRUE : null);
        if (path != null && path.size() > 1) {
            d.put("budget_path", path);
        }
        return new AuditEvent(AuditEvent.DECISION, decision.budgetId(), d);
    }

    /** A reservation asked of the ledger directly (no engine decision around it). */
    public static AuditEvent reservation(Ledger.Reservation r, Ledger.Hold hold) {
        Map<String, Object> d = new TreeMap<>();
        d.put("outcome", hold.granted() ? Decision.Outcome.CONTINUE.name() : Decision.Outcome.STOP.name());
        d.put("reservation_id", hold.granted() ? r.id() : null);
        d.put("claim_usd_micros", r.amountMicros());
        d.put("remaining_usd_micros", hold.budget().remainingMicros());
        if (r.run() != null) {
            d.put("run_id", r.run().runId());
            d.put("reason_codes", hold.runRefusal() == null ? null : java.util.List.of(hold.runRefusal()));
        }
        return new AuditEvent(AuditEvent.DECISION, r.budgetId(), d);
    }

    /** A run stopped (the kill switch), with its state when it was stopped. */
    public static AuditEvent runStop(RunState run) {
        Map<String, Object> d = new TreeMap<>();
        d.put("run_id", run.id());
        d.put("reason", run.stopReason());
        d.put("steps", run.steps());
        d.put("reserved_usd_micros", run.reservedMicros());
        d.put("committed_usd_micros", run.committedMicros());
        return new AuditEvent(AuditEvent.RUN_STOP, run.budgetId(), d);
    }

    /** A hold settled: {@code type} is {@link AuditEvent#COMMIT}, {@link AuditEvent#RELEASE} or {@link AuditEvent#EXPIRE}. */
    public static AuditEvent settled(String type, String reservationId, String budgetId, long held, long spent, BudgetState after) {
        return settled(type, reservationId, budgetId, held, spent, after, null);
    }

    /**
     * A hold settled on {@code path} (every budget it was taken on, leaf first; null or one element: its
     * budget alone, written as before budgets had parents); {@code after} is the leaf.
     */
    public static AuditEvent settled(String type, String reservationId, String budgetId, long held, long spent, BudgetState after,
                                     java.util.List<String> path) {
        Map<String, Object> d = new TreeMap<>();
        d.put("reservation_id", reservationId);
        d.put("held_usd_micros", held);
        d.put("committed_usd_micros", spent);
        d.put("released_usd_micros", Math.max(0, held - spent));
        d.put("overrun_usd_micros", spent > held ? spent - held : null);
        if (after != null) {
            d.put("reserved_after_usd_micros", after.reservedMicros());
            d.put("committed_after_usd_micros", after.committedMicros());
            d.put("remaining_usd_micros", after.remainingMicros());
        }
        if (path != null && path.size() > 1) {
            d.put("budget_path", path);
        }
        return new AuditEvent(type, budgetId, d);
    }

    /** A budget created or changed (its definition as stored). */
    public static AuditEvent budgetPut(BudgetSpec spec) {
        return new AuditEvent(AuditEvent.BUDGET_PUT, spec.id(), Map.of("spec", spec.toJson().getMap()));
    }

    /** A budget removed, with its last state. */
    public static AuditEvent budgetDeleted(BudgetState last) {
        return new AuditEvent(AuditEvent.BUDGET_DELETE, last.spec().id(), Map.of(
                "committed_usd_micros", last.committedMicros(), "limit_usd_micros", last.spec().limitMicros()));
    }
}
