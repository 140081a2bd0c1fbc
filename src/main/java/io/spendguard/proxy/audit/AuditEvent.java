package io.spendguard.proxy.audit;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Something that happened and must be recorded, before it is given its place in the chain: its type
 * (one of the constants here), the budget it concerns (null: none, e.g. a virtual key change) and its
 * facts. Facts name ids (decision, reservation, budget, virtual key, approval) and amounts, never key
 * material or prompt text. Null facts are left out, and the facts are kept in key order (the order
 * {@link Canonical} writes them in). A {@code TreeMap} of natural order is taken over as it is, its nulls
 * removed: the caller hands it over.
 */
public record AuditEvent(String type, String budgetId, Map<String, Object> data) {
    /** A budget decision: CONTINUE, STOP, REQUIRE_APPROVAL or DEGRADE, with its rules and reasons. */
    public static final String DECISION = "decision";
    /** A hold committed (in full, partly, or above it: an overrun). */
    public static final String COMMIT = "commit";
    /** A hold released without spend. */
    public static final String RELEASE = "release";
    /** A hold settled by the sweeper after its TTL. */
    public static final String EXPIRE = "expire";
    public static final String BUDGET_PUT = "budget.put";
    public static final String BUDGET_DELETE = "budget.delete";
    public static final String APPROVAL_RESOLVED = "approval.resolved";
    public static final String KEY_CREATED = "key.created";
    public static final String KEY_REVOKED = "key.revoked";
    /** An agent run stopped by an operator (the kill switch). */
    public static final String RUN_STOP = "run.stop";

    public AuditEvent {
        if (type == null || type.isEmpty()) {
            throw new IllegalArgumentException("audit event type: " + type + " (expected: a type name)");
        }
        if (data instanceof TreeMap<String, Object> sorted && sorted.comparator() == null) {
            sorted.values().removeIf(Objects::isNull); // handed over in key order already: no copy
            data = Collections.unmodifiableSortedMap(sorted);
        } else {
            TreeMap<String, Object> facts = new TreeMap<>();
            data.forEach((k, v) -> {
                if (v != null) {
                    facts.put(k, v);
                }
            });
            data = Collections.unmodifiableSortedMap(facts);
        }
    }
}
