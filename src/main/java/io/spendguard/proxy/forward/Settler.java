package io.spendguard.proxy.forward;

import io.spendguard.proxy.ledger.Ledger.Settled;
import io.spendguard.proxy.estimate.Usage;
import io.vertx.core.Future;

/**
 * Where the {@link Relay} reports how a forwarded call ended, the moment it ends. The pipeline's
 * settlement implements it and settles the call exactly once: whichever report comes first counts,
 * every later one is a no-op that completes with null. A report completes when the settlement has
 * landed, or at once with null when the gate reports no budget state ({@code Gate#reportsBudgets}):
 * a held reply waits for it only to show the budget's remaining amount.
 */
public interface Settler {

    /** The provider reported {@code usage}: commit its cost (a usage outside what the call can bill commits the reservation). */
    Future<Settled> usage(Usage usage);

    /** The provider's usage cannot be used ({@code invalid}, {@code out_of_range}, {@code scan_limit}): commit the reservation. */
    Future<Settled> usageRejected(String reason);

    /** Commit the whole reservation: a 2xx reply without usage, or a reply that never came back. */
    Future<Settled> reservation(String why);

    /** Commit the input estimate plus the output seen so far: a call cut short. */
    Future<Settled> partial(long outputTokensSeen, String why);

    /** Give the reservation back: the provider refused the call or was never reached. */
    Future<Settled> release(String why);

    /** µUSD committed for the call (0 while unsettled, or when released). */
    long costMicros();
}
