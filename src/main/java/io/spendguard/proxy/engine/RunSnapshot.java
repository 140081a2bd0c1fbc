package io.spendguard.proxy.engine;

/**
 * The agent run a decision was made under, as the decision saw it (SPEC §10): its id (null for a
 * loop refused without a run id), the calls admitted under it and its reserved + committed µUSD,
 * and the limits in force for it (0: none). A run refusal's body carries the first three.
 */
public record RunSnapshot(String id, long steps, long usdMicros, long maxSteps, long maxUsdMicros, int maxRepeatedToolCalls) {
}
