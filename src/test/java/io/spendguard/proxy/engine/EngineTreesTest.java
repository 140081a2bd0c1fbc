package io.spendguard.proxy.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.audit.AuditLog;
import io.spendguard.proxy.config.ContractsLoader;
import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.memory.MemoryLedger;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.InvocationTargetException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The engine on a budget tree (SPEC §11): org (daily, 1000) → team (no window, 500) → key (200), plus a
 * sibling of key. The first level that cannot cover a claim is the one a STOP names; an approval
 * threshold on any level asks for approval on that level; contract rules see the path.
 */
class EngineTreesTest {
    private static final Duration TTL = Duration.ofMinutes(30);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-29T10:00:00Z"));
    private final MemoryLedger ledger = new MemoryLedger(clock);
    private final AtomicReference<Contracts> rules = new AtomicReference<>(Contracts.NONE);
    private Engine engine = new Engine(ledger, new Approvals(clock, TTL), clock, Duration.ofMinutes(5), rules::get);

    private void tree(Long teamApprovalAbove) {
        put(new BudgetSpec("org", 1000, "daily", "UTC", null, false, null, null, null));
        put(new BudgetSpec("team", 500, "none", "UTC", teamApprovalAbove, false, null, null, "org"));
        put(new BudgetSpec("key", 200, "none", "UTC", null, false, null, null, "team"));
        put(new BudgetSpec("sibling", 1000, "none", "UTC", null, false, null, null, "team"));
    }

    private void put(BudgetSpec spec) {
        Future<BudgetState> f = engine.putBudget(spec);
        assertThat(f.succeeded()).as("put %s: %s", spec.id(), f.cause()).isTrue();
    }

    private static DecisionRequest call(String budget, long claim, String id) {
        return new DecisionRequest("d-" + id, budget, claim, "gpt-4o", "h-" + id, null, null, null, 10, 10, "p", false, false, 100,
                "acme", null, null, null, null, 0);
    }

    private Decision decide(DecisionRequest r) {
        Future<Decision> f = engine.decide(r);
        assertThat(f.succeeded()).as("decided: %s", f.cause()).isTrue();
        return f.result();
    }

    private long reserved(String id) {
        return ledger.budget(id).result().reservedMicros();
    }

    private List<JsonObject> decisions(String budget) throws Exception {
        return ledger.audit().read(new AuditLog.Query(budget, 0, null, AuditLog.MAX_PAGE)).await(5, TimeUnit.SECONDS).stream()
                .filter(r -> r.type().equals("decision")).map(r -> r.content().getJsonObject("data")).toList();
    }

    @Test
    void aGrantedCallIsHeldOnEveryLevelAndReportsTheSmallestRemaining() {
        tree(null);

        Decision d = decide(call("key", 150, "1"));

        assertThat(d.outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(d.budgetId()).isEqualTo("key");
        assertThat(d.remainingMicros()).as("key has 50 left, the least on its path").isEqualTo(50);
        assertThat(List.of(reserved("key"), reserved("team"), reserved("org"))).containsExactly(150L, 150L, 150L);
        assertThat(reserved("sibling")).isZero();
    }

    @Test
    void theLeafStopsAClaimItCannotCover() {
        tree(null);

        Decision d = decide(call("key", 201, "1"));

        assertThat(d.outcome()).isEqualTo(Outcome.STOP);
        assertThat(d.budgetId()).isEqualTo("key");
        assertThat(d.reasonCodes()).containsExactly(Engine.BUDGET_EXHAUSTED);
        assertThat(d.remainingMicros()).isEqualTo(200);
        assertThat(d.retryAfterSeconds()).as("key has no window: nothing frees up at a reset").isNull();
        assertThat(reserved("team")).isZero();
    }

    @Test
    void theTeamStopsAClaimItsChildCouldCoverButItCannot() throws Exception {
        tree(null);
        assertThat(decide(call("sibling", 400, "0")).outcome()).isEqualTo(Outcome.CONTINUE);

        Decision d = decide(call("key", 150, "1"));

        assertThat(d.outcome()).isEqualTo(Outcome.STOP);
        assertThat(d.budgetId()).isEqualTo("team");
        assertThat(d.remainingMicros()).isEqualTo(100);
        assertThat(d.retryAfterSeconds()).isNull();
        assertThat(reserved("key")).isZero();
        JsonObject audited = decisions("team").get(0);
        assertThat(audited.getString("outcome")).isEqualTo("STOP");
        assertThat(audited.getJsonArray("budget_path").getList()).containsExactly("key", "team", "org");
    }

    @Test
    void theOrgStopsWithRetryAfterFromItsOwnWindow() {
        tree(null);
        put(new BudgetSpec("other-team", 1000, "none", "UTC", null, false, null, null, "org"));
        assertThat(decide(call("other-team", 900, "0")).outcome()).isEqualTo(Outcome.CONTINUE);

        Decision d = decide(call("key", 150, "1"));

        assertThat(d.outcome()).isEqualTo(Outcome.STOP);
        assertThat(d.budgetId()).isEqualTo("org");
        assertThat(d.remainingMicros()).isEqualTo(100);
        assertThat(d.retryAfterSeconds()).as("the org's daily window resets at midnight UTC").isEqualTo(14 * 3600L);
    }

    @Test
    void anExhaustedAncestorStopsEvenAZeroClaim() {
        tree(null);
        put(new BudgetSpec("org", 0, "daily", "UTC", null, false, null, null, null));

        Decision d = decide(call("key", 0, "1"));

        assertThat(d.outcome()).isEqualTo(Outcome.STOP);
        assertThat(d.budgetId()).isEqualTo("org");
    }

    @Test
    void anApprovalThresholdOnTheTeamAsksForApprovalOnTheTeamAndTheApprovedCallIsHeldOnItsOwnBudget() {
        tree(100L);

        Decision asked = decide(call("key", 150, "1"));

        assertThat(asked.outcome()).isEqualTo(Outcome.REQUIRE_APPROVAL);
        assertThat(asked.budgetId()).isEqualTo("team");
        assertThat(asked.matchedRuleIds()).containsExactly(Engine.RULE_APPROVAL_ABOVE);
        Approval approval = engine.approvals().get(asked.approvalId()).orElseThrow();
        assertThat(approval.budgetId()).isEqualTo("team");
        assertThat(decide(call("key", 50, "2")).outcome()).as("under every threshold").isEqualTo(Outcome.CONTINUE);

        engine.approvals().resolve(approval.id(), true, "ok");
        DecisionRequest first = call("key", 150, "1");
        Decision resumed = decide(new DecisionRequest(first.decisionId(), "key", 150, "gpt-4o", first.requestHash(), null,
                approval.id(), null, 10, 10, "p", false, false, 100, "acme", null, null, null, null, 0));

        assertThat(resumed.outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(resumed.budgetId()).isEqualTo("key");
        assertThat(List.of(reserved("key"), reserved("team"), reserved("org"))).containsExactly(200L, 200L, 200L);
    }

    @Test
    void contractRulesSeeThePathAndTheSmallestRemainingOnIt() {
        tree(null);
        rules.set(ContractsLoader.parse("rules:\n"
                + "  - {id: team-low, condition: '\"team\" in budget.path && budget.remaining_usd_micros < 150', "
                + "then: {decision: STOP, reason_code: TEAM_LOW}}\n", "test.yaml", n -> null));
        assertThat(decide(call("sibling", 400, "0")).outcome()).as("sibling has 1000 left, team 500").isEqualTo(Outcome.CONTINUE);

        Decision d = decide(call("key", 10, "1"));

        assertThat(d.outcome()).as("team has 100 left, the least on key's path").isEqualTo(Outcome.STOP);
        assertThat(d.reasonCodes()).containsExactly("TEAM_LOW");
        assertThat(d.budgetId()).as("a rule's refusal names the call's own budget").isEqualTo("key");
        assertThat(d.retryAfterSeconds()).isNull();
        put(new BudgetSpec("solo", 100, "none", "UTC", null, false, null, null, null));
        assertThat(decide(call("solo", 10, "2")).outcome()).as("not under team").isEqualTo(Outcome.CONTINUE);
    }

    @Test
    void aHoldTheLedgerRefusesBecauseAnotherCallTookTheTeamsRoomNamesTheTeam() {
        tree(null);
        AtomicBoolean raced = new AtomicBoolean();
        Ledger racing = (Ledger) java.lang.reflect.Proxy.newProxyInstance(Ledger.class.getClassLoader(), new Class<?>[] {Ledger.class},
                (proxy, method, args) -> {
                    try {
                        Object out = method.invoke(ledger, args);
                        if (method.getName().equals("path") && raced.compareAndSet(false, true)) {
                            // another call takes team's room after this one read its path
                            ledger.reserve(new Ledger.Reservation("other", "sibling", 450, clock.instant().plusSeconds(60), false));
                        }
                        return out;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        engine = new Engine(racing, new Approvals(clock, TTL), clock, Duration.ofMinutes(5), rules::get);

        Decision d = decide(call("key", 100, "1"));

        assertThat(d.outcome()).isEqualTo(Outcome.STOP);
        assertThat(d.budgetId()).isEqualTo("team");
        assertThat(d.reasonCodes()).containsExactly(Engine.BUDGET_EXHAUSTED);
        assertThat(d.remainingMicros()).isEqualTo(50);
        assertThat(reserved("key")).isZero();
    }
}
