package io.spendguard.proxy.ledger.memory;

import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.LedgerContract;
import io.spendguard.proxy.engine.MutableClock;

/** The ledger contract against the in-memory ledger. */
class MemoryLedgerTest extends LedgerContract {
    @Override
    protected Ledger open(MutableClock clock) {
        return new MemoryLedger(clock);
    }
}
