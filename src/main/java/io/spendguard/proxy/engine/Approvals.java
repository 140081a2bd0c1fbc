package io.spendguard.proxy.engine;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The approval queue. A repeat of a pending request (same caller, budget and request hash) joins the
 * existing approval instead of paging a human twice (another caller's identical request is its own); an approval still pending or approved but unused
 * past its TTL reads as expired.
 */
public final class Approvals {
    private final Clock clock;
    private final Duration ttl;
    private final Map<String, Approval> byId = new LinkedHashMap<>();

    public Approvals(Clock clock, Duration ttl) {
        this.clock = clock;
        this.ttl = ttl;
    }

    /** How long an approval is good for, from the moment it is asked. */
    public Duration ttl() {
        return ttl;
    }

    /**
     * {@code requester}'s pending approval for this request, or a new one for it that {@code approverRole}
     * (null: anyone) may resolve.
     */
    public synchronized Approval request(String decisionId, String budgetId, String model, long claimMicros, String requestHash,
                                         String approverRole, String requester) {
        for (Approval a : byId.values()) {
            if (expire(a).state() == Approval.State.PENDING && a.budgetId().equals(budgetId) && a.requestHash().equals(requestHash)
                    && Objects.equals(a.requester(), requester)) {
                return a;
            }
        }
        Instant now = clock.instant();
        Approval a = new Approval(Approval.newId(requester), decisionId, budgetId, model,
                claimMicros, requestHash, Approval.State.PENDING, now, now.plus(ttl), null, null, approverRole, requester);
        byId.put(a.id(), a);
        return a;
    }

    public synchronized Optional<Approval> get(String id) {
        Approval a = byId.get(id);
        return a == null ? Optional.empty() : Optional.of(expire(a));
    }

    /** Approvals in {@code state} (null: any) that {@code role} may resolve (null: any role), oldest first. */
    public synchronized List<Approval> list(Approval.State state, String role) {
        List<Approval> out = new ArrayList<>();
        for (Approval a : List.copyOf(byId.values())) {
            Approval current = expire(a);
            if ((state == null || current.state() == state) && (role == null || role.equals(current.approverRole()))) {
                out.add(current);
            }
        }
        out.sort(Comparator.comparing(Approval::createdAt));
        return out;
    }

    /** Approves or denies a pending approval; returns the approval as it now stands. */
    public synchronized Optional<Approval> resolve(String id, boolean approve, String reason) {
        Approval a = byId.get(id);
        if (a == null) {
            return Optional.empty();
        }
        a = expire(a);
        if (a.state() == Approval.State.PENDING) {
            a = a.with(approve ? Approval.State.APPROVED : Approval.State.DENIED, reason, clock.instant());
            byId.put(id, a);
        }
        return Optional.of(a);
    }

    /** Moves an approved approval to consumed; false if it was not in the approved state. */
    public synchronized boolean consume(String id) {
        Approval a = byId.get(id);
        a = a == null ? null : expire(a);
        if (a == null || a.state() != Approval.State.APPROVED) {
            return false;
        }
        byId.put(id, a.with(Approval.State.CONSUMED, a.reason(), clock.instant()));
        return true;
    }

    /** Puts a consumed approval back to approved (its reservation did not go through). */
    public synchronized void unconsume(String id) {
        Approval a = byId.get(id);
        if (a != null && a.state() == Approval.State.CONSUMED) {
            byId.put(id, a.with(Approval.State.APPROVED, a.reason(), a.resolvedAt()));
        }
    }

    private Approval expire(Approval a) {
        boolean open = a.state() == Approval.State.PENDING || a.state() == Approval.State.APPROVED;
        if (open && !clock.instant().isBefore(a.expiresAt())) {
            Approval expired = a.with(Approval.State.EXPIRED,
                    a.state() == Approval.State.PENDING ? "approval TTL elapsed" : "approved but not used within the approval TTL",
                    a.expiresAt());
            byId.put(a.id(), expired);
            return expired;
        }
        return a;
    }
}
