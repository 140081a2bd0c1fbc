package io.spendguard.proxy.engine;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A call held for a human: which budget, the claim, a hash of the exact request it covers, who may
 * approve it ({@code approverRole}, from the rule that asked; null: anyone), and its state
 * ({@code pending → approved → consumed}, or {@code denied} / {@code expired}). An approval is good
 * until {@code expiresAt} ({@code approval_ttl} after it was asked): one still pending or approved but
 * unused by then expires and cannot be resumed. An approval belongs to the caller that asked
 * ({@code requester}: a virtual key, or a digest of a passthrough credential; null: not known): only
 * that caller may resume it. Its id carries a digest of the requester ({@link #newId}), so a proxy
 * that resumes through a sidecar, which is not told who resumes, can check the caller itself.
 */
public record Approval(String id, String decisionId, String budgetId, String model, long claimMicros, String requestHash,
                       State state, Instant createdAt, Instant expiresAt, String reason, Instant resolvedAt,
                       String approverRole, String requester) {
    /** {@code apr_}, 32 random hex digits, then {@code .} and the requester's tag when it is known. */
    private static final Pattern TAGGED = Pattern.compile("apr_[0-9a-f]{32}\\.([0-9a-f]{24})");

    /** Lifecycle of an approval. */
    public enum State { PENDING, APPROVED, DENIED, EXPIRED, CONSUMED }

    Approval with(State next, String why, Instant at) {
        return new Approval(id, decisionId, budgetId, model, claimMicros, requestHash, next, createdAt, expiresAt, why, at, approverRole,
                requester);
    }

    /** A fresh approval id for {@code requester} (null: untagged). */
    static String newId(String requester) {
        String id = "apr_" + UUID.randomUUID().toString().replace("-", "");
        return requester == null ? id : id + "." + tag(requester);
    }

    /** True when {@code caller} may resume this approval: it asked for it, or who asked is not known on either side. */
    public boolean mayResume(String caller) {
        return requester == null || caller == null || requester.equals(caller);
    }

    /**
     * True when {@code id} was minted for another caller than {@code caller}, as far as the id itself
     * tells (an id without a requester tag, e.g. another sidecar's, tells nothing).
     */
    public static boolean mintedForAnother(String id, String caller) {
        var m = TAGGED.matcher(id);
        return m.matches() && caller != null && !m.group(1).equals(tag(caller));
    }

    private static String tag(String requester) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(("spendguard:approval:" + requester).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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
