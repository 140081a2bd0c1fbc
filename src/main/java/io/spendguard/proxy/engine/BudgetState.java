package io.spendguard.proxy.engine;

import io.vertx.core.json.JsonObject;

/** A budget with its current window's holds and spend, all in µUSD. */
public record BudgetState(BudgetSpec spec, long reservedMicros, long committedMicros, BudgetWindow window) {

    public long remainingMicros() {
        return Money.remaining(spec.limitMicros(), reservedMicros, committedMicros);
    }

    /** The admin API's view ({@code GET /v1/budgets/{id}}). */
    public JsonObject toJson() {
        return new JsonObject()
                .put("id", spec.id())
                .put("tenant", spec.tenant())
                .put("parent", spec.parent())
                .put("limit_usd_micros", spec.limitMicros())
                .put("reserved_usd_micros", reservedMicros)
                .put("committed_usd_micros", committedMicros)
                .put("remaining_usd_micros", remainingMicros())
                .put("window", spec.window())
                .put("timezone", spec.timezone())
                .put("window_start", window.start() == null ? null : window.start().toString())
                .put("window_end", window.end() == null ? null : window.end().toString())
                .put("approval_above_usd_micros", spec.approvalAboveMicros())
                .put("default", spec.isDefault())
                .put("degrade_to", spec.degradeTo() == null ? null : new JsonObject()
                        .put("model", spec.degradeTo().model())
                        .put("below_remaining_usd_micros", spec.degradeTo().belowRemainingMicros()));
    }
}
