package io.spendguard.proxy.engine;

/**
 * A budget's definition: its limit in µUSD, spend window ({@code none | daily | weekly | monthly} in
 * {@code timezone}), the single-claim size above which a human must approve (null: never), and
 * whether it is the budget calls use when they name none.
 */
public record BudgetSpec(String id, long limitMicros, String window, String timezone, Long approvalAboveMicros,
                         boolean isDefault) {
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
        BudgetWindow.validate(window, timezone);
    }
}
