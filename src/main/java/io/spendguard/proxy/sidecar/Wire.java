package io.spendguard.proxy.sidecar;

/**
 * The names and values of the SpendGuard sidecar protocol that both ends of this project read or
 * write: the proxy's client ({@code sidecar/client}) sends and parses them, the {@code sidecar}
 * command's server ({@code sidecar/server}) parses and sends them. Kept in one place so that the two
 * sides cannot drift apart; the messages themselves are the {@code .proto} files in {@code src/main/proto}.
 * <p>
 * Budget trees (a budget with a {@code parent}): the client sends one {@code BudgetClaim}, on the
 * budget the call names (empty: the sidecar's default) — in sidecar mode the proxy does not know the
 * tree, the sidecar does — and the sidecar holds it on that budget and every ancestor. The sidecar
 * also accepts every level as a claim of its own, as a SpendGuard SDK may send them: the call's budget
 * first, then each of its ancestors once (in any order), every claim a DEBIT of the same amount in the
 * same unit; anything else that names several budgets is INVALID_ARGUMENT. Either way one reservation
 * holds every level once, and a STOP's {@link #DETAIL_BUDGET_ID} is the level that could not cover the
 * call, which the proxy's 402 names.
 */
public final class Wire {
    /** The {@code protocol_version} a handshake asks for and is answered with. */
    public static final int PROTOCOL_VERSION = 1;
    /**
     * How this project's sidecar begins its {@code sidecar_version}; the client reads it as "accepts
     * commits above the hold" (another sidecar's settlement is capped at the hold).
     */
    public static final String OWN_SIDECAR_PREFIX = "spendguard-proxy/";

    /** {@code inputs.runtime_metadata}: whether the call streams (bool). */
    public static final String META_STREAM = "stream";
    /** {@code inputs.runtime_metadata}: the output limit the request sets (number). */
    public static final String META_MAX_OUTPUT_TOKENS = "max_output_tokens";
    /** {@code inputs.runtime_metadata}: the virtual key's tenant (string). */
    public static final String META_TENANT = "tenant";
    /** {@code inputs.runtime_metadata}: the virtual key's id (string), for the audit record and the tenant check. */
    public static final String META_KEY_ID = "key_id";
    /** {@code inputs.runtime_metadata}: the caller (key id or credential digest), whom an approval belongs to (string). */
    public static final String META_CALLER = "caller";
    /**
     * {@code inputs.runtime_metadata}: how many times the request's history holds its most repeated tool
     * call (number; sent only when above 0), for the run's loop limit ({@code runs.max_repeated_tool_calls}).
     */
    public static final String META_REPEATED_TOOL_CALLS = "repeated_tool_calls";

    /**
     * {@code error.details} of a STOP: the budget that refused the call — in a tree, the first level from
     * the call's budget up that could not cover it (the call's budget itself or an ancestor).
     */
    public static final String DETAIL_BUDGET_ID = "budget_id";
    /** {@code error.details} of a STOP: what the call claimed, in µUSD. */
    public static final String DETAIL_CLAIM_USD_MICROS = "claim_usd_micros";
    /** {@code error.details} of a STOP: what the budget that refused has left, in µUSD. */
    public static final String DETAIL_REMAINING_USD_MICROS = "remaining_usd_micros";
    /** {@code error.details} of a STOP on a windowed budget: seconds until the window rolls over. */
    public static final String DETAIL_RETRY_AFTER_SECONDS = "retry_after_seconds";
    /**
     * {@code error.details} of a STOP of a call under a run, or under a loop limit: the run's id (left out
     * for a loop refused in a call that names no run). The other {@code run_} keys come with every run.
     */
    public static final String DETAIL_RUN_ID = "run_id";
    /** {@code error.details} of a STOP under a run: the calls admitted under the run so far. */
    public static final String DETAIL_RUN_STEPS = "run_steps";
    /** {@code error.details} of a STOP under a run: the run's reserved + committed µUSD. */
    public static final String DETAIL_RUN_USD_MICROS = "run_usd_micros";
    /** {@code error.details} of a STOP under a run: its {@code runs.max_steps} (0: none). */
    public static final String DETAIL_RUN_MAX_STEPS = "run_max_steps";
    /** {@code error.details} of a STOP under a run: its {@code runs.max_usd}, in µUSD (0: none). */
    public static final String DETAIL_RUN_MAX_USD_MICROS = "run_max_usd_micros";
    /** {@code error.details} of a STOP under a run: its {@code runs.max_repeated_tool_calls} (0: off). */
    public static final String DETAIL_RUN_MAX_REPEATED_TOOL_CALLS = "run_max_repeated_tool_calls";

    /** How a resume's {@code error.message} begins while the approval is still pending. */
    public static final String APPROVAL_NON_TERMINAL = "[APPROVAL_NON_TERMINAL]";
    /** How a resume's {@code error.message} begins when the approval lapsed before it was approved. */
    public static final String APPROVAL_EXPIRED = "[APPROVAL_EXPIRED]";
    /** How a resume's {@code error.message} begins when the approval was already used. */
    public static final String APPROVAL_CONSUMED = "[APPROVAL_CONSUMED]";
    /** How a resume's {@code error.message} begins when there is no such approval. */
    public static final String APPROVAL_UNKNOWN = "[APPROVAL_UNKNOWN]";

    /** In a PERMISSION_DENIED message: the budget belongs to another tenant than the virtual key's. */
    public static final String BUDGET_FORBIDDEN = "BUDGET_FORBIDDEN";
    /** In a FAILED_PRECONDITION message: a known idempotency key came with a different request. */
    public static final String IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT";

    private Wire() { }

    /**
     * The id the client derives for {@code kind} ({@code run}, {@code step}, {@code llm_call},
     * {@code span}) from the decision id when the call names none, so a retried call asks the same
     * question. A {@code run_id} equal to {@code derived("run", decision_id)} names no agent run.
     */
    public static String derived(String kind, String decisionId) {
        return java.util.UUID.nameUUIDFromBytes(("spendguard:" + kind + ":" + decisionId)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString();
    }
}
