package io.spendguard.proxy.ledger;

import io.spendguard.proxy.engine.Money;
import java.time.Instant;

/**
 * One agent run as the ledger keeps it: the budget it was first charged to, the calls admitted under
 * it ({@code steps}: a call released after the provider refused it still counts), the µUSD it holds
 * and has spent, when its first and its latest call came (a stop is not a call), and why it was
 * stopped (null: it was not).
 */
public record RunState(String id, String budgetId, long steps, long reservedMicros, long committedMicros, Instant firstSeen,
                       Instant lastSeen, String stopReason) {

    public boolean stopped() {
        return stopReason != null;
    }

    /** Reserved + committed, the amount {@code max_usd} bounds (saturating). */
    public long usdMicros() {
        return Money.add(reservedMicros, committedMicros);
    }
}
