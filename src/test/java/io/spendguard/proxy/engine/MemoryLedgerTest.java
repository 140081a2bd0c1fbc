package io.spendguard.proxy.engine;

/** The ledger contract against the in-memory ledger. */
class MemoryLedgerTest extends LedgerContract {
    @Override
    Ledger open(MutableClock clock) {
        return new MemoryLedger(clock);
    }
}
