package io.spendguard.proxy.engine;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * A call held for a human: which budget, the claim, a hash of the exact request it covers, who may
 * approve it ({@code approverRole}, from the rule that asked; null: anyone), and its state
 * ({@code pending → approved → consumed}, or {@code denied} / {@code expired}). An approval is good
 * until {@code expiresAt} ({@code approval_ttl} after it was asked): one still pending or approved but
 * unused by then expires and cannot be resumed.
 */
public record Approval(String id, String decisionId, String budgetId, String model, long claimMicros, String requestHash,
                       State state, Instant createdAt, Instant expiresAt, String reason, Instant resolvedAt,
                       String approverRole) {

    /** Lifecycle of an approval. */
    public enum State { PENDING, APPROVED, DENIED, EXPIRED, CONSUMED }

    Approval with(State next, String why, Instant at) {
        return new Approval(id, decisionId, budgetId, model, claimMicros, requestHash, next, createdAt, expiresAt, why, at, approverRole);
    }

    public JsonObject toJson() {
        return new JsonObject()
                .put("id", id)
                .put("decision_id", decisionId)
                .put("budget_id", budgetId)
                .put("model", model)
                .put("claim_usd_micros", claimMicros)
                .put("state", state.name().toLowerCase(java.util.Locale.ROOT))
                .put("created_at", createdAt.toString())
                .put("expires_at", expiresAt.toString())
                .put("approver_role", approverRole)
                .put("reason", reason)
                .put("resolved_at", resolvedAt == null ? null : resolvedAt.toString());
    }
}
