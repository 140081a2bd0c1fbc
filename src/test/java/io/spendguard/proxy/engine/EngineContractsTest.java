package io.spendguard.proxy.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.config.ContractsLoader;
import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.memory.MemoryLedger;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The engine with contracts: rules and the budget's own settings merged, approvals with roles and expiry, reload between calls. */
class EngineContractsTest {
    private static final Duration TTL = Duration.ofMinutes(30);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-29T10:00:00Z"));
    private final MemoryLedger ledger = new MemoryLedger(clock);
    private final AtomicReference<Contracts> rules = new AtomicReference<>(Contracts.NONE);
    private final Engine engine = new Engine(ledger, new Approvals(clock, TTL), clock, Duration.ofMinutes(5), rules::get);

    private void contracts(String yaml) {
        rules.set(ContractsLoader.parse("rules:\n" + yaml.indent(2), "test.yaml", n -> null));
    }

    private void budget(long limit, Long approvalAbove) {
        engine.putBudget(new BudgetSpec("team", limit, "daily", "UTC", approvalAbove, true)).result();
    }

    private static DecisionRequest call(String model, long claim, String hash) {
        return new DecisionRequest("d-" + hash, null, claim, model, hash, null, null, null, 10, 10, "p", false, false, 100, "acme", null, null, null);
    }

    private Decision decide(DecisionRequest r) {
        Future<Decision> f = engine.decide(r);
        assertThat(f.succeeded()).as("decided: %s", f.cause()).isTrue();
        return f.result();
    }

    private ProxyError refusal(DecisionRequest r) {
        Future<Decision> f = engine.decide(r);
        assertThat(f.failed()).isTrue();
        return ((ProxyException) f.cause()).error();
    }

    private static DecisionRequest resume(DecisionRequest r, String approvalId) {
        return new DecisionRequest(r.decisionId(), r.budgetId(), r.claimMicros(), r.model(), r.requestHash(), null, approvalId, null,
                10, 10, "p", false, false, 100, "acme", null, null, null);
    }

    @Test
    void aContractStopIsRefusedNamingItsRuleAndHoldsNothing() {
        budget(10_000_000, null);
        contracts("- {id: per-call-cap, when: {claim_amount_atomic_gt: 500000}, then: {decision: STOP, reason_code: PER_CALL_CAP}}");

        Decision d = decide(call("gpt-4o", 600_000, "h1"));

        assertThat(d.outcome()).isEqualTo(Outcome.STOP);
        assertThat(d.reasonCodes()).containsExactly("PER_CALL_CAP");
        assertThat(d.matchedRuleIds()).containsExactly("per-call-cap");
        assertThat(d.retryAfterSeconds()).as("a rule does not lift at the window reset").isNull();
        assertThat(ledger.budget("team").result().reservedMicros()).isZero();
        assertThat(decide(call("gpt-4o", 400_000, "h2")).outcome()).isEqualTo(Outcome.CONTINUE);
    }

    @Test
    void aBudgetWithNothingLeftAlwaysStopsWhateverTheRulesSay() {
        budget(0, null);
        contracts("- {id: allow-all, then: {decision: CONTINUE, reason_code: OK}}\n"
                + "- {id: mini, then: {decision: DEGRADE, reason_code: MINI, mutate: {model: gpt-4o-mini}}}");

        Decision d = decide(call("gpt-4o", 0, "h1"));

        assertThat(d.outcome()).isEqualTo(Outcome.STOP);
        assertThat(d.reasonCodes().get(0)).isEqualTo(Engine.BUDGET_EXHAUSTED);
        assertThat(d.matchedRuleIds()).startsWith(Engine.RULE_EXHAUSTED);
        assertThat(d.retryAfterSeconds()).as("a daily budget frees up at midnight").isEqualTo(14 * 3600);
    }

    @Test
    void aRuleAsksForApprovalByRoleAndTheApprovalExpiresAfterTheTtl() {
        budget(10_000_000, null);
        contracts("- {id: big, when: {claim_amount_atomic_gte: 1000000}, then: {decision: REQUIRE_APPROVAL, reason_code: BIG_CALL, "
                + "approver_role: finance}}");
        DecisionRequest big = call("gpt-4o", 1_000_000, "h1");

        Decision asked = decide(big);

        assertThat(asked.outcome()).isEqualTo(Outcome.REQUIRE_APPROVAL);
        assertThat(asked.approverRole()).isEqualTo("finance");
        assertThat(asked.approvalExpiresAt()).isEqualTo(clock.instant().plus(TTL));
        assertThat(asked.reasonCodes()).containsExactly("BIG_CALL");
        Approval a = engine.approvals().get(asked.approvalId()).orElseThrow();
        assertThat(a.approverRole()).isEqualTo("finance");
        assertThat(engine.approvals().list(Approval.State.PENDING, "finance")).extracting(Approval::id).containsExactly(a.id());
        assertThat(engine.approvals().list(Approval.State.PENDING, "ops")).isEmpty();

        clock.advance(TTL);
        assertThat(refusal(resume(big, a.id()))).isEqualTo(ProxyError.APPROVAL_EXPIRED);
        assertThat(engine.approvals().resolve(a.id(), true, "late").orElseThrow().state()).isEqualTo(Approval.State.EXPIRED);
    }

    @Test
    void anApprovalApprovedButNotUsedWithinTheTtlExpiresToo() {
        budget(10_000_000, 100L);
        DecisionRequest big = call("gpt-4o", 1_000, "h1");
        Decision asked = decide(big);
        assertThat(asked.matchedRuleIds()).containsExactly(Engine.RULE_APPROVAL_ABOVE);
        assertThat(asked.approverRole()).isNull();
        engine.approvals().resolve(asked.approvalId(), true, "ok");

        clock.advance(TTL.minusSeconds(1));
        DecisionRequest other = call("gpt-4o", 1_000, "h2");
        Decision second = decide(other);
        engine.approvals().resolve(second.approvalId(), true, "ok");
        assertThat(decide(resume(other, second.approvalId())).outcome()).as("within the TTL").isEqualTo(Outcome.CONTINUE);

        clock.advance(Duration.ofSeconds(1));
        assertThat(refusal(resume(big, asked.approvalId()))).isEqualTo(ProxyError.APPROVAL_EXPIRED);
        assertThat(engine.approvals().get(asked.approvalId()).orElseThrow().state()).isEqualTo(Approval.State.EXPIRED);
    }

    @Test
    void aContractDegradeIsProposedThenTheChangedCallIsReserved() {
        budget(10_000_000, null);
        contracts("- {id: mini-when-low, condition: 'budget.spent_ratio >= 0.8 && request.model != \"gpt-4o-mini\"', "
                + "then: {decision: DEGRADE, reason_code: LOW_BUDGET, mutate: {model: gpt-4o-mini, max_output_tokens: 50}}}");
        assertThat(decide(call("gpt-4o", 1_000, "h0")).outcome()).as("80% left").isEqualTo(Outcome.CONTINUE);
        ledger.reserve(new Ledger.Reservation("spent", "team", 8_000_000, clock.instant().plusSeconds(60), false)).result();

        Decision proposal = decide(call("gpt-4o", 1_000, "h1"));

        assertThat(proposal.isProposal()).isTrue();
        assertThat(proposal.mutation()).isEqualTo(new Mutation("gpt-4o-mini", 50, null));
        Decision reserved = decide(call("gpt-4o", 1_000, "h1").mutated(proposal.mutation(), 300, 10, 50));
        assertThat(reserved.outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(reserved.reservedMicros()).isEqualTo(300);
        assertThat(reserved.degradedBy(proposal).matchedRuleIds()).containsExactly("mini-when-low");

        var records = ledger.audit().read(new io.spendguard.proxy.audit.AuditLog.Query("team", 0, null, 100))
                .toCompletionStage().toCompletableFuture().join();
        var decisions = records.stream().filter(r -> r.type().equals("decision")).map(r -> r.content().getJsonObject("data")).toList();
        assertThat(decisions).extracting(d -> d.getString("outcome")).containsExactly("CONTINUE", "CONTINUE", "DEGRADE", "CONTINUE");
        assertThat(decisions.get(2).getString("mutation_model")).isEqualTo("gpt-4o-mini");
        assertThat(decisions.get(2).getJsonArray("matched_rule_ids").getList()).containsExactly("mini-when-low");
        assertThat(decisions.get(3).getBoolean("degraded")).isTrue();
        assertThat(decisions.get(3).getString("model")).isEqualTo("gpt-4o-mini");
    }

    @Test
    void reloadedRulesApplyToTheNextCall() {
        budget(10_000_000, null);
        assertThat(decide(call("o1-preview", 10, "h1")).outcome()).isEqualTo(Outcome.CONTINUE);
        contracts("- {id: no-o1-for-acme, condition: 'tenant == \"acme\" && request.model.startsWith(\"o1\")', "
                + "then: {decision: STOP, reason_code: MODEL_BLOCKED}}");
        assertThat(decide(call("o1-preview", 10, "h2")).reasonCodes()).containsExactly("MODEL_BLOCKED");
        assertThat(decide(call("gpt-4o", 10, "h3")).outcome()).isEqualTo(Outcome.CONTINUE);
    }
}
