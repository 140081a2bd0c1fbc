package io.spendguard.proxy.ledger;

/**
 * The run a reservation is taken under and that run's limits (SPEC §10): at most {@code maxSteps}
 * admitted calls and at most {@code maxMicros} µUSD reserved + committed (0: no limit). The ledger
 * checks them and counts the call in the same atomic step as the budget's reservation, so concurrent
 * calls of one run — in one process or many sharing a database — never pass them.
 */
public record RunLimit(String runId, long maxSteps, long maxMicros) {
    /** The run was stopped (the kill switch): every later call of it is refused. */
    public static final String RUN_STOPPED = "RUN_STOPPED";
    /** The run has had its {@code max_steps} admitted calls. */
    public static final String RUN_STEP_LIMIT = "RUN_STEP_LIMIT";
    /** The call's claim would take the run's reserved + committed past its {@code max_usd}. */
    public static final String RUN_BUDGET_EXCEEDED = "RUN_BUDGET_EXCEEDED";
    /** The longest run id, in bytes of UTF-8 (SPEC §10): longer ones are refused where the header is read. */
    public static final int MAX_ID_BYTES = 128;
    /**
     * The longest run id the ledger keeps: a tenant's runs are named {@code <tenant>:<run id>} (see
     * {@code pipeline/stages/Decide}), with a tenant id of at most 128 characters.
     */
    public static final int MAX_SCOPED_ID_BYTES = 128 + 1 + MAX_ID_BYTES;

    public RunLimit {
        if (runId == null || runId.isEmpty()) {
            throw new IllegalArgumentException("runId: empty (expected: a run id)");
        }
        if (maxSteps < 0 || maxMicros < 0) {
            throw new IllegalArgumentException("run limits: " + maxSteps + " steps, " + maxMicros + " µUSD (expected: >= 0)");
        }
    }

    /**
     * Why a call of {@code run} (null: the run's first call) claiming {@code amountMicros} is refused,
     * or null when it fits. The one rule every backend applies inside its transaction: stopped first,
     * then steps, then money.
     */
    public String refusal(RunState run, long amountMicros) {
        if (run == null) {
            return maxMicros > 0 && amountMicros > maxMicros ? RUN_BUDGET_EXCEEDED : null;
        }
        if (run.stopped()) {
            return RUN_STOPPED;
        }
        if (maxSteps > 0 && run.steps() >= maxSteps) {
            return RUN_STEP_LIMIT;
        }
        if (maxMicros > 0 && (run.usdMicros() > maxMicros || amountMicros > maxMicros - run.usdMicros())) {
            return RUN_BUDGET_EXCEEDED;
        }
        return null;
    }
}
