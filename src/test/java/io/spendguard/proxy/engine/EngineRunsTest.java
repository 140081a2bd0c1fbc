package io.spendguard.proxy.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.audit.AuditLog;
import io.spendguard.proxy.audit.AuditRecord;
import io.spendguard.proxy.config.ContractsLoader;
import io.spendguard.proxy.config.RunsConfig;
import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.ledger.RunLimit;
import io.spendguard.proxy.ledger.memory.MemoryLedger;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The engine with agent runs (SPEC §10): steps, money, the kill switch and repeated tool calls decided
 * on a real memory ledger, the run limits narrowed per budget, run facts for contract conditions, and
 * every run refusal in the audit chain.
 */
class EngineRunsTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-29T10:00:00Z"));
    private final MemoryLedger ledger = new MemoryLedger(clock);
    private final AtomicReference<Contracts> rules = new AtomicReference<>(Contracts.NONE);
    private final Map<String, RunsConfig> perBudget = new java.util.HashMap<>();
    private RunsConfig global = RunsConfig.DEFAULTS;
    private final Engine engine = new Engine(ledger, new Approvals(clock, Duration.ofMinutes(30)), clock, Duration.ofMinutes(5),
            rules::get, id -> global.narrowedBy(perBudget.get(id)));
    private int calls;

    private static RunsConfig limits(long steps, long usd, int repeated) {
        return new RunsConfig(steps, usd, repeated, true, Duration.ofHours(24));
    }

    private void budget(String id, long limit) {
        engine.putBudget(new BudgetSpec(id, limit, "none", "UTC", null, id.equals("team"))).result();
    }

    private DecisionRequest call(String budget, String run, long claim, int repeatedToolCalls) {
        calls++;
        return new DecisionRequest("d-" + calls, budget, claim, "gpt-4o", "h" + calls, run, null, null, 10, 10, "p", false, false,
                100, "acme", null, null, null, null, repeatedToolCalls);
    }

    private Decision decide(DecisionRequest r) {
        Future<Decision> f = engine.decide(r);
        assertThat(f.succeeded()).as("decided: %s", f.cause()).isTrue();
        return f.result();
    }

    private List<AuditRecord> audit(String budget) {
        try {
            return ledger.audit().read(new AuditLog.Query(budget, 0, null, AuditLog.MAX_PAGE)).await(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private List<JsonObject> decisions(String budget) {
        List<AuditRecord> records = audit(budget);
        return records.stream().filter(r -> r.type().equals("decision")).map(r -> r.content().getJsonObject("data")).toList();
    }

    @Test
    void aRunPastItsStepsStopsWithTheRunsStepsAndHoldsNothing() {
        global = limits(3, 0, 0);
        budget("team", 1_000_000);
        for (int i = 0; i < 3; i++) {
            Decision ok = decide(call(null, "run-1", 100, 0));
            assertThat(ok.outcome()).isEqualTo(Outcome.CONTINUE);
            assertThat(ok.run().steps()).isEqualTo(i + 1);
        }

        Decision fourth = decide(call(null, "run-1", 100, 0));

        assertThat(fourth.outcome()).isEqualTo(Outcome.STOP);
        assertThat(fourth.reasonCodes()).containsExactly(RunLimit.RUN_STEP_LIMIT);
        assertThat(fourth.reservationId()).isNull();
        assertThat(fourth.retryAfterSeconds()).as("a run's limit does not lift at a window reset").isNull();
        assertThat(fourth.run()).isEqualTo(new RunSnapshot("run-1", 3, 300, 3, 0, 0));
        assertThat(ledger.budget("team").result().reservedMicros()).isEqualTo(300);
        assertThat(decide(call(null, null, 100, 0)).outcome()).as("a call of no run is not limited").isEqualTo(Outcome.CONTINUE);
        assertThat(decide(call(null, "run-2", 100, 0)).outcome()).as("another run has its own steps").isEqualTo(Outcome.CONTINUE);

        JsonObject refused = decisions("team").get(3);
        assertThat(refused.getString("outcome")).isEqualTo("STOP");
        assertThat(refused.getJsonArray("reason_codes").getList()).containsExactly(RunLimit.RUN_STEP_LIMIT);
        assertThat(refused.getString("run_id")).isEqualTo("run-1");
        assertThat(refused.getLong("run_steps")).isEqualTo(3);
    }

    @Test
    void aRunPastItsMoneyStopsWhileACheaperCallStillFits() {
        global = limits(0, 1_000, 0);
        budget("team", 1_000_000);
        assertThat(decide(call(null, "run-1", 700, 0)).outcome()).isEqualTo(Outcome.CONTINUE);

        Decision over = decide(call(null, "run-1", 301, 0));
        Decision fits = decide(call(null, "run-1", 300, 0));

        assertThat(over.reasonCodes()).containsExactly(RunLimit.RUN_BUDGET_EXCEEDED);
        assertThat(over.run().usdMicros()).isEqualTo(700);
        assertThat(fits.outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(fits.run().usdMicros()).isEqualTo(1_000);
        assertThat(decide(call(null, "run-new", 1_001, 0)).reasonCodes()).as("a first call above the run's money")
                .containsExactly(RunLimit.RUN_BUDGET_EXCEEDED);
    }

    @Test
    void aBudgetsOwnRunLimitsNarrowTheGlobalOnes() {
        global = limits(5, 0, 0);
        perBudget.put("tight", limits(2, 0, 0));
        perBudget.put("loose", limits(10, 0, 0));
        budget("team", 1_000_000);
        budget("tight", 1_000_000);
        budget("loose", 1_000_000);

        long tight = java.util.stream.IntStream.range(0, 4).filter(i -> decide(call("tight", "t", 10, 0)).outcome().admits()).count();
        long loose = java.util.stream.IntStream.range(0, 7).filter(i -> decide(call("loose", "l", 10, 0)).outcome().admits()).count();

        assertThat(tight).isEqualTo(2);
        assertThat(loose).as("the smaller non-zero limit wins: the global 5").isEqualTo(5);
    }

    @Test
    void aStoppedRunIsRefusedBeforeAnyRuleAndTheStopIsAudited() {
        budget("team", 1_000_000);
        contracts("- {id: ask, then: {decision: REQUIRE_APPROVAL, reason_code: ASK}}");
        ledger.stopRun("run-1", "team", "runaway").result();

        Decision d = decide(call(null, "run-1", 100, 0));

        assertThat(d.outcome()).isEqualTo(Outcome.STOP);
        assertThat(d.reasonCodes()).containsExactly(RunLimit.RUN_STOPPED);
        assertThat(engine.approvals().list(null, null)).as("no approval is asked for a stopped run").isEmpty();
        assertThat(audit("team")).extracting(AuditRecord::type).contains("run.stop");
        assertThat(decisions("team").get(0).getJsonArray("reason_codes").getList()).containsExactly(RunLimit.RUN_STOPPED);
    }

    @Test
    void aRequestRepeatingAToolCallTooOftenIsALoopWithOrWithoutARunId() {
        global = limits(0, 0, 3);
        budget("team", 1_000_000);

        Decision under = decide(call(null, null, 100, 2));
        Decision loop = decide(call(null, null, 100, 3));
        Decision loopInRun = decide(call(null, "run-1", 100, 7));

        assertThat(under.outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(loop.outcome()).isEqualTo(Outcome.STOP);
        assertThat(loop.reasonCodes()).containsExactly(Engine.RUN_LOOP_DETECTED);
        assertThat(loop.run().id()).isNull();
        assertThat(loop.run().maxRepeatedToolCalls()).isEqualTo(3);
        assertThat(loopInRun.reasonCodes()).containsExactly(Engine.RUN_LOOP_DETECTED);
        assertThat(loopInRun.run().id()).isEqualTo("run-1");
        assertThat(ledger.budget("team").result().reservedMicros()).as("a loop holds nothing").isEqualTo(100);
        assertThat(ledger.run("run-1").failed()).as("a refused loop counts no step").isTrue();
        assertThat(decisions("team")).extracting(d -> d.getJsonArray("reason_codes").getList())
                .containsExactly(List.of(), List.of(Engine.RUN_LOOP_DETECTED), List.of(Engine.RUN_LOOP_DETECTED));
        assertThat(decisions("team").get(1).getInteger("repeated_tool_calls")).isEqualTo(3);
    }

    @Test
    void loopDetectionIsOffByDefault() {
        budget("team", 1_000_000);

        assertThat(decide(call(null, "run-1", 100, 1_000)).outcome()).isEqualTo(Outcome.CONTINUE);
    }

    @Test
    void contractConditionsSeeTheRunAndTheRepeatedToolCalls() {
        budget("team", 1_000_000);
        contracts("""
                - {id: long-run, condition: "run.steps >= 2 && run.id.startsWith('agent-')", then: {decision: STOP, reason_code: LONG_RUN}}
                - {id: costly-run, condition: "run.usd_micros + claim.usd_micros > 5000", then: {decision: STOP, reason_code: COSTLY_RUN}}
                - {id: repeats, condition: "request.repeated_tool_calls > 4", then: {decision: STOP, reason_code: REPEATS}}
                """);

        assertThat(decide(call(null, "agent-1", 100, 0)).outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(decide(call(null, "agent-1", 100, 0)).outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(decide(call(null, "agent-1", 100, 0)).reasonCodes()).containsExactly("LONG_RUN");
        assertThat(decide(call(null, "other", 100, 0)).outcome()).as("a run not seen yet has 0 steps").isEqualTo(Outcome.CONTINUE);
        assertThat(decide(call(null, "other", 4_901, 0)).reasonCodes()).containsExactly("COSTLY_RUN");
        assertThat(decide(call(null, null, 100, 5)).reasonCodes()).containsExactly("REPEATS");
        assertThat(decide(call(null, null, 100, 4)).outcome()).isEqualTo(Outcome.CONTINUE);
    }

    private void contracts(String yaml) {
        rules.set(ContractsLoader.parse("rules:\n" + yaml.indent(2), "test.yaml", n -> null));
    }
}
