package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Agent runs end to end (SPEC §10) on the embedded engine: {@code X-SpendGuard-Run-Id} names the run,
 * its steps and money are limited (globally and per budget), a refusal is a 402 naming the run and
 * nothing reaches the provider, the admin API lists runs and stops one (the kill switch), and the
 * refusals are audited and counted. The calls repeat one body, so {@code dedupe_retries} is off: each
 * is a step of its own, not a retry (RunRetryTest covers retries).
 */
class AgentRunsTest extends HarnessTest {
    private static final String BODY = ChatCompletionsTest.BODY;
    private static final String RUN = "X-SpendGuard-Run-Id";

    private static String usd(long micros) {
        return BigDecimal.valueOf(micros, 6).toPlainString();
    }

    private static JsonObject error(HttpResponse<String> r) {
        return ProxyHarness.json(r).getJsonObject("error");
    }

    private List<JsonObject> audit(String type) throws Exception {
        JsonArray data = ProxyHarness.json(h.adminGet("/v1/audit?budget_id=default&limit=1000")).getJsonArray("data");
        List<JsonObject> out = new ArrayList<>();
        for (Object o : data) {
            JsonObject record = (JsonObject) o;
            if (record.getString("type").equals(type)) {
                out.add(record.getJsonObject("data"));
            }
        }
        return out;
    }

    @Test
    void theCallAfterARunsLastStepIsA402NamingTheRunAndNothingIsForwarded() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", "runs: {max_steps: 3, dedupe_retries: false}"));
        for (int i = 0; i < 3; i++) {
            assertThat(h.chat(BODY, RUN, "run-1").statusCode()).isEqualTo(200);
        }
        long served = h.mock.served();

        HttpResponse<String> r = h.chat(BODY, RUN, "run-1");

        assertThat(r.statusCode()).isEqualTo(402);
        assertThat(r.headers().firstValue("x-should-retry")).hasValue("false");
        assertThat(r.headers().firstValue("Retry-After")).as("a run's steps do not come back at a window reset").isEmpty();
        JsonObject error = error(r);
        assertThat(error.getString("type")).isEqualTo("budget_exceeded");
        assertThat(error.getString("code")).isEqualTo("RUN_STEP_LIMIT");
        assertThat(error.getString("message")).contains("run-1").contains("runs.max_steps");
        JsonObject sg = error.getJsonObject("spendguard");
        assertThat(sg.getString("run_id")).isEqualTo("run-1");
        assertThat(sg.getLong("run_steps")).isEqualTo(3);
        assertThat(sg.getLong("run_usd_micros")).isEqualTo(h.budget("default").committedMicros());
        assertThat(sg.getJsonArray("reason_codes").getList()).containsExactly("RUN_STEP_LIMIT");
        assertThat(h.mock.served()).as("nothing forwarded").isEqualTo(served);
        h.assertSettled(3, "default");

        assertThat(h.chat(BODY).statusCode()).as("a call of no run is not limited").isEqualTo(200);
        assertThat(h.chat(BODY, RUN, "run-2").statusCode()).as("another run has its own steps").isEqualTo(200);
        assertThat(h.counter("spendguard.run.stops", "reason", "RUN_STEP_LIMIT")).isEqualTo(1);
        assertThat(h.counter("spendguard.run.stops", "reason", "RUN_STOPPED")).isZero();

        List<JsonObject> decisions = audit("decision");
        JsonObject refused = decisions.stream().filter(d -> d.getString("outcome").equals("STOP")).findFirst().orElseThrow();
        assertThat(refused.getString("run_id")).isEqualTo("run-1");
        assertThat(refused.getJsonArray("reason_codes").getList()).containsExactly("RUN_STEP_LIMIT");
        assertThat(refused.getLong("run_steps")).isEqualTo(3);
    }

    @Test
    void aRunPastItsMoneyIsA402WhileTheBudgetStillHasRoom() throws Exception {
        long claim = ChatCompletionsTest.claim(BODY);
        h = start(ProxyHarness.config(1_000_000, "", "runs: {dedupe_retries: false, max_usd: " + usd(claim * 3 / 2) + "}"));
        assertThat(h.chat(BODY, RUN, "run-1", "x-mock-output-tokens", "50").statusCode()).isEqualTo(200);
        h.assertSettled(1, "default");
        long spent = h.budget("default").committedMicros();
        assertThat(spent).as("billed more than half the claim").isGreaterThan(claim / 2);

        HttpResponse<String> r = h.chat(BODY, RUN, "run-1");

        assertThat(r.statusCode()).isEqualTo(402);
        assertThat(error(r).getString("code")).isEqualTo("RUN_BUDGET_EXCEEDED");
        assertThat(error(r).getString("message")).contains("runs.max_usd");
        assertThat(error(r).getJsonObject("spendguard").getLong("run_usd_micros")).isEqualTo(spent);
        assertThat(h.mock.served()).isEqualTo(1);
        assertThat(h.counter("spendguard.run.stops", "reason", "RUN_BUDGET_EXCEEDED")).isEqualTo(1);
    }

    @Test
    void concurrentCallsOfOneRunNeverPassItsSteps() throws Exception {
        h = start(ProxyHarness.config(10_000_000, "", "runs: {max_steps: 5, dedupe_retries: false}"));
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            sent.add(h.http.sendAsync(h.chatRequest(BODY, RUN, "swarm", "x-mock-latency-ms", "100"), HttpResponse.BodyHandlers.ofString()));
        }
        Map<Integer, Long> byStatus = new TreeMap<>();
        sent.forEach(c -> byStatus.merge(c.join().statusCode(), 1L, Long::sum));

        assertThat(byStatus).containsExactly(Map.entry(200, 5L), Map.entry(402, 19L));
        assertThat(h.mock.served()).isEqualTo(5);
        h.assertSettled(5, "default");
        JsonObject run = ProxyHarness.json(h.adminGet("/v1/runs/swarm"));
        assertThat(run.getLong("steps")).isEqualTo(5);
        assertThat(run.getLong("reserved_usd_micros")).isZero();
        assertThat(run.getLong("committed_usd_micros")).isEqualTo(h.budget("default").committedMicros());
    }

    @Test
    void aBudgetsOwnRunLimitNarrowsTheGlobalOne() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "runs: {max_steps: 2}", "runs: {max_steps: 5, dedupe_retries: false}"));
        assertThat(h.chat(BODY, RUN, "run-1").statusCode()).isEqualTo(200);
        assertThat(h.chat(BODY, RUN, "run-1").statusCode()).isEqualTo(200);

        HttpResponse<String> third = h.chat(BODY, RUN, "run-1");

        assertThat(third.statusCode()).isEqualTo(402);
        assertThat(error(third).getString("code")).isEqualTo("RUN_STEP_LIMIT");
        assertThat(error(third).getJsonObject("spendguard").getLong("run_steps")).isEqualTo(2);
    }

    @Test
    void anOperatorStopsARunAndEveryLaterCallOfItIsRefused() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", "runs: {dedupe_retries: false}"));
        assertThat(h.chat(BODY, RUN, "agent-7").statusCode()).isEqualTo(200);
        assertThat(h.chat(BODY, RUN, "agent-8").statusCode()).isEqualTo(200);
        h.assertSettled(2, "default");

        HttpResponse<String> stop = h.adminPost("/v1/runs/agent-7/stop", "{\"reason\":\"runaway tool loop\"}");

        assertThat(stop.statusCode()).isEqualTo(200);
        JsonObject stopped = ProxyHarness.json(stop);
        assertThat(stopped.getString("state")).isEqualTo("stopped");
        assertThat(stopped.getString("stop_reason")).isEqualTo("runaway tool loop");
        assertThat(stopped.getLong("steps")).isEqualTo(1);
        assertThat(stopped.getString("budget_id")).isEqualTo("default");
        assertThat(stopped.fieldNames()).containsExactlyInAnyOrder("id", "budget_id", "steps", "reserved_usd_micros",
                "committed_usd_micros", "first_seen", "last_seen", "state", "stop_reason");

        HttpResponse<String> refused = h.chat(BODY, RUN, "agent-7");
        assertThat(refused.statusCode()).isEqualTo(402);
        assertThat(error(refused).getString("code")).isEqualTo("RUN_STOPPED");
        assertThat(error(refused).getJsonObject("spendguard").getString("run_id")).isEqualTo("agent-7");
        assertThat(h.chat(BODY, RUN, "agent-8").statusCode()).as("other runs go on").isEqualTo(200);
        assertThat(h.mock.served()).isEqualTo(3);
        assertThat(h.counter("spendguard.run.stops", "reason", "RUN_STOPPED")).isEqualTo(1);

        JsonArray stoppedRuns = ProxyHarness.json(h.adminGet("/v1/runs?state=stopped")).getJsonArray("data");
        assertThat(stoppedRuns.stream().map(o -> ((JsonObject) o).getString("id")).toList()).containsExactly("agent-7");
        JsonArray active = ProxyHarness.json(h.adminGet("/v1/runs?state=active&budget_id=default")).getJsonArray("data");
        assertThat(active.stream().map(o -> ((JsonObject) o).getString("id")).toList()).containsExactly("agent-8");
        assertThat(ProxyHarness.json(h.adminGet("/v1/runs?limit=1")).getJsonArray("data")).hasSize(1);
        assertThat(ProxyHarness.json(h.adminGet("/v1/runs/agent-7")).getString("state")).isEqualTo("stopped");

        List<JsonObject> stops = audit("run.stop");
        assertThat(stops).hasSize(1);
        assertThat(stops.get(0).getString("run_id")).isEqualTo("agent-7");
        assertThat(stops.get(0).getString("reason")).isEqualTo("runaway tool loop");
        assertThat(audit("decision")).anySatisfy(d -> assertThat(d.getJsonArray("reason_codes").getList()).containsExactly("RUN_STOPPED"));
    }

    @Test
    void aRunStoppedBeforeItsFirstCallIsRefusedFromTheStart() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", "runs: {dedupe_retries: false}"));

        assertThat(h.adminPost("/v1/runs/not-yet/stop", "{\"reason\":\"banned\",\"budget_id\":\"default\"}").statusCode()).isEqualTo(200);

        assertThat(error(h.chat(BODY, RUN, "not-yet")).getString("code")).isEqualTo("RUN_STOPPED");
        assertThat(h.mock.served()).isZero();
        assertThat(h.adminPost("/v1/runs/x/stop", "{\"reason\":\"r\",\"budget_id\":\"nope\"}").statusCode())
                .as("an unknown budget").isEqualTo(404);
    }

    @Test
    void theRunRoutesValidateWhatTheyAreGiven() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", "runs: {dedupe_retries: false}"));

        assertThat(h.adminGet("/v1/runs/unknown").statusCode()).isEqualTo(404);
        assertThat(error(h.adminGet("/v1/runs/unknown")).getString("type")).isEqualTo("not_found_error");
        for (String bad : new String[] {"?limit=0", "?limit=1001", "?limit=x", "?state=paused", "?budget_id=a%20b"}) {
            HttpResponse<String> r = h.adminGet("/v1/runs" + bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
        }
        assertThat(h.adminGet("/v1/runs?limit=1000").statusCode()).isEqualTo(200);
        for (String body : new String[] {"{}", "{\"reason\":\"a\\u0007b\"}", "{\"reason\":\"" + "x".repeat(1025) + "\"}",
            "{\"reason\":5}", "{\"reason\":\"ok\",\"extra\":1}", "not json"}) {
            assertThat(h.adminPost("/v1/runs/r1/stop", body).statusCode()).as(body).isEqualTo(400);
        }
        assertThat(h.adminPost("/v1/runs/" + "r".repeat(io.spendguard.proxy.ledger.RunLimit.MAX_SCOPED_ID_BYTES + 1) + "/stop", "{\"reason\":\"ok\"}").statusCode()).isEqualTo(400);
        assertThat(h.adminPost("/v1/runs/r1/stop", "{\"reason\":\"" + "x".repeat(1024) + "\"}").statusCode()).isEqualTo(200);
        assertThat(h.chat(BODY, RUN, "r".repeat(129)).statusCode()).as("a run id over 128 bytes").isEqualTo(400);
    }

    @Test
    void anAnthropicCallOfAStoppedRunGetsAnthropicsErrorShapeWithTheRun() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", "runs: {dedupe_retries: false}"));
        h.adminPost("/v1/runs/claude-run/stop", "{\"reason\":\"stop\"}");

        HttpResponse<String> r = AnthropicCalls.send(h, AnthropicCalls.body(false, 50), RUN, "claude-run");

        assertThat(r.statusCode()).isEqualTo(402);
        JsonObject body = ProxyHarness.json(r);
        assertThat(body.getString("type")).isEqualTo("error");
        assertThat(body.getJsonObject("error").getJsonObject("spendguard").getString("run_id")).isEqualTo("claude-run");
        assertThat(body.getJsonObject("error").getJsonObject("spendguard").getJsonArray("reason_codes").getList())
                .containsExactly("RUN_STOPPED");
        assertThat(h.mock.served()).isZero();
    }

    @Test
    void theSweeperForgetsIdleRunsAndReportsTheActiveOnes() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", "runs: {idle_ttl: 1s}").replace("ledger: { kind: memory }",
                "ledger: { kind: memory, sweep_interval_ms: 50 }"));
        assertThat(h.chat(BODY, RUN, "short").statusCode()).isEqualTo(200);
        ProxyHarness.await("one active run", () -> gauge("spendguard.runs.active") == 1);

        ProxyHarness.await("the idle run forgotten", 10, () -> gauge("spendguard.runs.active") == 0);

        assertThat(h.adminGet("/v1/runs/short").statusCode()).isEqualTo(404);
        String scrape = h.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + h.server.adminPort()
                + "/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(scrape).contains("# HELP spendguard_runs_active ").contains("# HELP spendguard_run_stops_total ")
                .contains("spendguard_run_stops_total{reason=\"RUN_LOOP_DETECTED\"} 0.0");
    }

    private double gauge(String name) {
        var g = h.registry.find(name).gauge();
        return g == null ? -1 : g.value();
    }
}
