package io.spendguard.proxy.engine;

import io.vertx.core.json.JsonObject;

/**
 * A budget's definition: its limit in µUSD, spend window ({@code none | daily | weekly | monthly} in
 * {@code timezone}), the single-claim size above which a human must approve (null: never), and
 * whether it is the budget calls use when they name none. {@code degradeTo} (null: never) switches
 * calls to a cheaper model once the remaining budget falls below a threshold. {@code tenant} (null:
 * none) is whose budget it is: a budget with a tenant is charged only by virtual keys of that tenant;
 * one without is shared by every key (as every budget was before budgets had tenants). {@code parent}
 * (null: a root) puts the budget in a tree (SPEC §11): a call on it reserves on it and on every
 * ancestor, atomically, and must fit every one of them; a tree is at most {@link #MAX_DEPTH} levels deep.
 */
public record BudgetSpec(String id, long limitMicros, String window, String timezone, Long approvalAboveMicros,
                         boolean isDefault, DegradeTo degradeTo, String tenant, String parent) {
    /** The most levels a budget tree may have, root and leaf included. */
    public static final int MAX_DEPTH = 8;

    /** A budget of no parent (a root, or a budget outside any tree). */
    public BudgetSpec(String id, long limitMicros, String window, String timezone, Long approvalAboveMicros,
                      boolean isDefault, DegradeTo degradeTo, String tenant) {
        this(id, limitMicros, window, timezone, approvalAboveMicros, isDefault, degradeTo, tenant, null);
    }

    /** The same budget under {@code newParent} (null: a root). */
    public BudgetSpec withParent(String newParent) {
        return new BudgetSpec(id, limitMicros, window, timezone, approvalAboveMicros, isDefault, degradeTo, tenant, newParent);
    }

    /** Below {@code belowRemainingMicros} left in the budget, calls to other models go to {@code model} instead. */
    public record DegradeTo(String model, long belowRemainingMicros) {
        public DegradeTo {
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("degrade_to.model: missing (expected: the model to switch to)");
            }
            if (belowRemainingMicros < 0) {
                throw new IllegalArgumentException("degrade_to.below_remaining_usd: negative (expected: >= 0)");
            }
        }

        /** True when a call to {@code requested} with {@code remainingMicros} left should switch model. */
        public boolean applies(String requested, long remainingMicros) {
            return remainingMicros < belowRemainingMicros && !model.equals(requested);
        }
    }

    /** A budget of no tenant. */
    public BudgetSpec(String id, long limitMicros, String window, String timezone, Long approvalAboveMicros, boolean isDefault,
                      DegradeTo degradeTo) {
        this(id, limitMicros, window, timezone, approvalAboveMicros, isDefault, degradeTo, null);
    }

    /** True when a call made with a virtual key of {@code keyTenant} may charge this budget. */
    public boolean chargeableBy(String keyTenant) {
        return tenant == null || tenant.equals(keyTenant);
    }

    /** A budget that never degrades. */
    public BudgetSpec(String id, long limitMicros, String window, String timezone, Long approvalAboveMicros, boolean isDefault) {
        this(id, limitMicros, window, timezone, approvalAboveMicros, isDefault, null);
    }

    /** The definition as a durable ledger stores it. */
    public JsonObject toJson() {
        return new JsonObject().put("id", id).put("limit_usd_micros", limitMicros).put("window", window).put("timezone", timezone)
                .put("approval_above_usd_micros", approvalAboveMicros).put("default", isDefault)
                .put("degrade_to", degradeTo == null ? null
                        : new JsonObject().put("model", degradeTo.model()).put("below_remaining_usd_micros", degradeTo.belowRemainingMicros()))
                .put("tenant", tenant)
                .put("parent", parent);
    }

    /** Reads back what {@link #toJson} wrote. */
    public static BudgetSpec fromJson(JsonObject j) {
        JsonObject d = j.getJsonObject("degrade_to");
        return new BudgetSpec(j.getString("id"), j.getLong("limit_usd_micros"), j.getString("window"), j.getString("timezone"),
                j.getLong("approval_above_usd_micros"), j.getBoolean("default", false),
                d == null ? null : new DegradeTo(d.getString("model"), d.getLong("below_remaining_usd_micros")), j.getString("tenant"),
                j.getString("parent"));
    }

    public BudgetSpec {
        if (id == null || id.isBlank() || id.length() > 128) {
            throw new IllegalArgumentException("id: expected 1..128 characters");
        }
        if (limitMicros < 0) {
            throw new IllegalArgumentException("limit_usd_micros: " + limitMicros + " (expected: >= 0)");
        }
        if (approvalAboveMicros != null && approvalAboveMicros < 0) {
            throw new IllegalArgumentException("approval_above_usd_micros: " + approvalAboveMicros + " (expected: >= 0)");
        }
        if (tenant != null && (tenant.isBlank() || tenant.length() > 128)) {
            throw new IllegalArgumentException("tenant: expected 1..128 characters (or leave it out: a budget of no tenant)");
        }
        if (parent != null && (parent.isBlank() || parent.length() > 128)) {
            throw new IllegalArgumentException("parent: expected 1..128 characters (or leave it out: a root budget)");
        }
        if (id.equals(parent)) {
            throw new IllegalArgumentException("parent: " + parent + " is the budget itself (expected: another budget)");
        }
        BudgetWindow.validate(window, timezone);
    }
}
