package io.spendguard.proxy.engine;

import java.util.UUID;

/**
 * New decision ids: UUIDs in the version 7 layout — the time in milliseconds in the first 48 bits,
 * then the 74 random bits of a {@link UUID#randomUUID} (as hard to guess as before) — so that ids made
 * close in time sort close together. A hold is keyed by its decision's id ({@code res_<id>}), so a
 * durable ledger's index of reservations takes each new one at its end, on pages the commit writes
 * anyway, instead of on a random page of an index that outgrows the cache.
 */
public final class DecisionIds {
    private DecisionIds() {
    }

    /** A new id, made now. */
    public static String next() {
        return at(System.currentTimeMillis());
    }

    /** A new id made at {@code epochMillis}. */
    static String at(long epochMillis) {
        UUID random = UUID.randomUUID();
        long high = epochMillis << 16 | 0x7000L | (random.getMostSignificantBits() & 0x0FFFL);
        return new UUID(high, random.getLeastSignificantBits()).toString();
    }
}
