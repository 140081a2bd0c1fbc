package io.spendguard.proxy.config;

import java.time.Duration;

/**
 * Agent-run limits ({@code runs:} globally, {@code budgets[].runs} per budget; SPEC §10). A run is
 * named by {@code X-SpendGuard-Run-Id}; a call without one has no run limits. Zero means no limit.
 *
 * @param maxSteps              calls admitted per run
 * @param maxUsdMicros          reserved + committed per run, in µUSD
 * @param maxRepeatedToolCalls  a request whose history holds one tool call (same name, same arguments)
 *                              this many times or more is refused with {@code RUN_LOOP_DETECTED}
 * @param dedupeRetries         with a run id and no idempotency key, a byte-identical request in the
 *                              same run is a retry, deduplicated under a key derived from run id + route + body
 * @param idleTtl               a run with no call for this long is forgotten (the audit chain keeps it)
 */
public record RunsConfig(long maxSteps, long maxUsdMicros, int maxRepeatedToolCalls, boolean dedupeRetries, Duration idleTtl) {
    /** No limits; retries deduplicated; runs forgotten after a day idle. */
    public static final RunsConfig DEFAULTS = new RunsConfig(0, 0, 0, true, Duration.ofHours(24));

    public RunsConfig {
        if (maxSteps < 0) {
            throw new ConfigException("runs.max_steps: " + maxSteps + " (expected: >= 0)");
        }
        if (maxUsdMicros < 0) {
            throw new ConfigException("runs.max_usd: " + maxUsdMicros + " µUSD (expected: >= 0)");
        }
        if (maxRepeatedToolCalls < 0) {
            throw new ConfigException("runs.max_repeated_tool_calls: " + maxRepeatedToolCalls + " (expected: >= 0)");
        }
        if (idleTtl == null || idleTtl.isNegative() || idleTtl.isZero()) {
            throw new ConfigException("runs.idle_ttl: " + idleTtl + " (expected: > 0)");
        }
    }

    /**
     * These limits narrowed by a budget's own ({@code budget} null: none): for each limit the smaller
     * non-zero value wins; {@code dedupe_retries} and {@code idle_ttl} are global.
     */
    public RunsConfig narrowedBy(RunsConfig budget) {
        if (budget == null) {
            return this;
        }
        return new RunsConfig(smaller(maxSteps, budget.maxSteps), smaller(maxUsdMicros, budget.maxUsdMicros),
                (int) smaller(maxRepeatedToolCalls, budget.maxRepeatedToolCalls), dedupeRetries, idleTtl);
    }

    /** True when any limit applies to a run. */
    public boolean limitsRuns() {
        return maxSteps > 0 || maxUsdMicros > 0;
    }

    private static long smaller(long a, long b) {
        if (a == 0) {
            return b;
        }
        return b == 0 ? a : Math.min(a, b);
    }
}
