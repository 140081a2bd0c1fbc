package io.spendguard.proxy.auth;

import io.spendguard.proxy.config.ProxyConfig.KeyConfig;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A SpendGuard virtual key as stored: who it belongs to ({@code tenant}), the budget every call made
 * with it is charged to, whether it may pick another budget by header, and the SHA-256 it is found
 * by. The key itself is never stored.
 */
public record VirtualKey(KeyConfig definition, Instant createdAt, String source, boolean revoked) {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Random bytes in a new key: 256 bits. */
    private static final int SECRET_BYTES = 32;

    /** A fresh key: {@code sg-} and 32 random bytes, base64url. */
    public static String newSecret() {
        byte[] bytes = new byte[SECRET_BYTES];
        RANDOM.nextBytes(bytes);
        return KeyConfig.KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A fresh key id when none is asked for: {@code key-} and 12 hex digits. */
    public static String newId() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return "key-" + HexFormat.of().formatHex(bytes);
    }

    public String id() {
        return definition.id();
    }

    public String tenant() {
        return definition.tenant();
    }

    public String budgetId() {
        return definition.budgetId();
    }

    public boolean allowBudgetHeader() {
        return definition.allowBudgetHeader();
    }

    public String sha256() {
        return definition.sha256();
    }

    /** This key, revoked. */
    public VirtualKey revoke() {
        return new VirtualKey(definition, createdAt, source, true);
    }

    /** The admin API's view: everything but the key and its hash. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject().put("id", id());
        if (definition.name() != null) {
            o.put("name", definition.name());
        }
        return o.put("tenant", tenant())
                .put("budget_id", budgetId())
                .put("allow_budget_header", allowBudgetHeader())
                .put("prefix", definition.prefix())
                .put("created_at", createdAt.toString())
                .put("source", source)
                .put("revoked", revoked);
    }

    @Override
    public String toString() {
        return "VirtualKey[" + id() + ", tenant=" + tenant() + ", budget=" + budgetId() + (revoked ? ", revoked" : "") + "]";
    }
}
