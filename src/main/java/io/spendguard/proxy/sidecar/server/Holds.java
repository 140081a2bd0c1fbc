package io.spendguard.proxy.sidecar.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.Optional;

/**
 * The reservations this sidecar granted and has not yet seen settled: which decision each belongs
 * to (so {@code ConfirmPublishOutcome(APPLY_FAILED)}, which names only the decision, can release its
 * hold) and whether any are still in flight (so a drain knows when it is done). Bounded in size and
 * age: a hold the client never settles is forgotten here after {@code maxAge} (the ledger keeps it).
 */
final class Holds {
    private final Cache<String, String> reservationByDecision;
    private final Cache<String, String> decisionByReservation;

    Holds(Duration maxAge, long maxEntries) {
        this.reservationByDecision = cache(maxAge, maxEntries);
        this.decisionByReservation = cache(maxAge, maxEntries);
    }

    /** Upkeep runs on the caller's thread: handed to the common pool, it woke a pool thread every few calls. */
    private static Cache<String, String> cache(Duration maxAge, long maxEntries) {
        return Caffeine.newBuilder().expireAfterWrite(maxAge).maximumSize(maxEntries).executor(Runnable::run).build();
    }

    void held(String decisionId, String reservationId) {
        decisionByReservation.put(reservationId, decisionId);
        reservationByDecision.put(decisionId, reservationId);
    }

    /** The reservation still held for this decision, if any. */
    Optional<String> reservationOf(String decisionId) {
        return Optional.ofNullable(reservationByDecision.getIfPresent(decisionId));
    }

    /** The reservation is no longer held (settled here, or found already settled). */
    void settled(String reservationId) {
        String decisionId = decisionByReservation.asMap().remove(reservationId);
        if (decisionId != null) {
            reservationByDecision.asMap().remove(decisionId, reservationId);
        }
    }

    boolean isEmpty() {
        decisionByReservation.cleanUp();
        return decisionByReservation.asMap().isEmpty();
    }
}
