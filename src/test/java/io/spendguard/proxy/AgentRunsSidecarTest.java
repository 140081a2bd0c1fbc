package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Agent runs with the budgets in our sidecar ({@code gate.mode: sidecar}): the sidecar keeps run state,
 * enforces the run limits of its own config and serves the run routes on its admin API; the proxy's
 * own admin API, which has no engine, does not. A run refusal crosses the protocol with the run in the
 * STOP's details, so the 402 reads as in embedded mode ({@link AgentRunsTest}); the request history's
 * repeated tool calls cross in the runtime metadata, for the loop limit. Calls that repeat one body
 * turn {@code dedupe_retries} off, so each is a step of its own.
 */
class AgentRunsSidecarTest extends HarnessTest {
    private static final String BODY = ChatCompletionsTest.BODY;
    private static final String RUN = "X-SpendGuard-Run-Id";

    @Override
    protected boolean sidecar() {
        return true;
    }

    private static String usd(long micros) {
        return BigDecimal.valueOf(micros, 6).toPlainString();
    }

    private static JsonObject error(HttpResponse<String> r) {
        return ProxyHarness.json(r).getJsonObject("error");
    }

    /** A chat request whose history holds one tool call (same name and arguments) {@code times} times. */
    private static String toolLoop(int times) {
        JsonArray messages = new JsonArray().add(new JsonObject().put("role", "user").put("content", "Find the weather in Paris"));
        for (int i = 0; i < times; i++) {
            messages.add(new JsonObject().put("role", "assistant").putNull("content").put("tool_calls", new JsonArray().add(new JsonObject()
                    .put("id", "call_" + i).put("type", "function").put("function", new JsonObject().put("name", "get_weather")
                            .put("arguments", "{\"city\":\"Paris\"}")))));
            messages.add(new JsonObject().put("role", "tool").put("tool_call_id", "call_" + i).put("content", "timeout"));
        }
        return new JsonObject().put("model", "gpt-test").put("max_tokens", 50).put("messages", messages).encode();
    }

    @Test
    void theSidecarsAdminApiListsAndStopsRunsAndTheProxysOwnSendsThereInstead() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        assertThat(h.chat(BODY).statusCode()).isEqualTo(200);

        HttpResponse<String> stop = h.adminPost("/v1/runs/agent-1/stop", "{\"reason\":\"runaway\"}");
        HttpResponse<String> proxyOwn = h.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.server.adminPort()
                + "/v1/runs")).GET().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(stop.statusCode()).isEqualTo(200);
        assertThat(ProxyHarness.json(stop).getString("state")).isEqualTo("stopped");
        assertThat(ProxyHarness.json(h.adminGet("/v1/runs")).getJsonArray("data").stream()
                .map(o -> ((JsonObject) o).getString("id")).toList())
                .as("a call without a run id makes no run in the sidecar").containsExactly("agent-1");
        assertThat(proxyOwn.statusCode()).isEqualTo(404);
        assertThat(ProxyHarness.json(proxyOwn).getJsonObject("error").getString("message")).contains("sidecar");

        HttpResponse<String> refused = h.chat(BODY, RUN, "agent-1");
        assertThat(refused.statusCode()).isEqualTo(402);
        assertThat(error(refused).getString("code")).isEqualTo("RUN_STOPPED");
        assertThat(error(refused).getJsonObject("spendguard").getString("run_id")).isEqualTo("agent-1");
        assertThat(error(refused).getJsonObject("spendguard").getLong("run_steps")).isZero();
        assertThat(h.mock.served()).isEqualTo(1);
    }

    @Test
    void theCallAfterARunsLastStepIsA402NamingTheRunAsInEmbeddedMode() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", "runs: {max_steps: 3, dedupe_retries: false}"));
        for (int i = 0; i < 3; i++) {
            assertThat(h.chat(BODY, RUN, "run-1").statusCode()).isEqualTo(200);
        }
        h.assertSettled(3, "default");

        HttpResponse<String> r = h.chat(BODY, RUN, "run-1");

        assertThat(r.statusCode()).isEqualTo(402);
        assertThat(r.headers().firstValue("x-should-retry")).hasValue("false");
        assertThat(r.headers().firstValue("Retry-After")).isEmpty();
        JsonObject error = error(r);
        assertThat(error.getString("type")).isEqualTo("budget_exceeded");
        assertThat(error.getString("code")).isEqualTo("RUN_STEP_LIMIT");
        assertThat(error.getString("message")).contains("Run 'run-1'").contains("all 3 of its steps").contains("runs.max_steps");
        JsonObject sg = error.getJsonObject("spendguard");
        assertThat(sg.getString("run_id")).isEqualTo("run-1");
        assertThat(sg.getLong("run_steps")).isEqualTo(3);
        assertThat(sg.getLong("run_usd_micros")).isPositive().isEqualTo(h.budget("default").committedMicros());
        assertThat(sg.getString("budget_id")).isEqualTo("default");
        assertThat(sg.getJsonArray("reason_codes").getList()).containsExactly("RUN_STEP_LIMIT");
        assertThat(h.mock.served()).as("nothing forwarded").isEqualTo(3);
        assertThat(h.counter("spendguard.run.stops", "reason", "RUN_STEP_LIMIT")).isEqualTo(1);

        assertThat(h.chat(BODY).statusCode()).as("a call of no run is not limited").isEqualTo(200);
        assertThat(h.chat(BODY, RUN, "run-2").statusCode()).as("another run has its own steps").isEqualTo(200);
        JsonObject run = ProxyHarness.json(h.adminGet("/v1/runs/run-1"));
        assertThat(run.getLong("steps")).isEqualTo(3);
    }

    @Test
    void aRunPastItsMoneyIsA402WhileTheBudgetStillHasRoom() throws Exception {
        long claim = ChatCompletionsTest.claim(BODY);
        long maxUsd = claim * 3 / 2;
        h = start(ProxyHarness.config(1_000_000, "", "runs: {dedupe_retries: false, max_usd: " + usd(maxUsd) + "}"));
        assertThat(h.chat(BODY, RUN, "run-1", "x-mock-output-tokens", "50").statusCode()).isEqualTo(200);
        h.assertSettled(1, "default");
        long spent = h.budget("default").committedMicros();
        assertThat(spent).as("billed more than half the claim").isGreaterThan(claim / 2);

        HttpResponse<String> r = h.chat(BODY, RUN, "run-1");

        assertThat(r.statusCode()).isEqualTo(402);
        assertThat(error(r).getString("code")).isEqualTo("RUN_BUDGET_EXCEEDED");
        assertThat(error(r).getString("message")).contains("Run 'run-1'").contains("runs.max_usd")
                .contains("of its $" + BigDecimal.valueOf(maxUsd, 6).stripTrailingZeros().toPlainString());
        JsonObject sg = error(r).getJsonObject("spendguard");
        assertThat(sg.getLong("run_usd_micros")).isEqualTo(spent);
        assertThat(sg.getLong("run_steps")).isEqualTo(1);
        assertThat(h.budget("default").remainingMicros()).as("the budget could have paid").isGreaterThan(claim);
        assertThat(h.mock.served()).isEqualTo(1);
        assertThat(h.counter("spendguard.run.stops", "reason", "RUN_BUDGET_EXCEEDED")).isEqualTo(1);
    }

    @Test
    void concurrentCallsOfOneRunNeverPassItsStepsInTheSidecar() throws Exception {
        h = start(ProxyHarness.config(10_000_000, "", "runs: {max_steps: 5, dedupe_retries: false}"));
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            sent.add(h.http.sendAsync(h.chatRequest(BODY, RUN, "swarm", "x-mock-latency-ms", "100"), HttpResponse.BodyHandlers.ofString()));
        }
        Map<Integer, Long> byStatus = new TreeMap<>();
        List<String> codes = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> c : sent) {
            HttpResponse<String> r = c.join();
            byStatus.merge(r.statusCode(), 1L, Long::sum);
            if (r.statusCode() == 402) {
                codes.add(error(r).getString("code"));
            }
        }

        assertThat(byStatus).containsExactly(Map.entry(200, 5L), Map.entry(402, 19L));
        assertThat(codes).containsOnly("RUN_STEP_LIMIT");
        assertThat(h.mock.served()).isEqualTo(5);
        h.assertSettled(5, "default");
        JsonObject run = ProxyHarness.json(h.adminGet("/v1/runs/swarm"));
        assertThat(run.getLong("steps")).isEqualTo(5);
        assertThat(run.getLong("reserved_usd_micros")).isZero();
        assertThat(run.getLong("committed_usd_micros")).isEqualTo(h.budget("default").committedMicros());
    }

    @Test
    void anOperatorStopsARunOnTheSidecarsAdminApiAndTheProxyRefusesItsNextCall() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", "runs: {dedupe_retries: false}"));
        assertThat(h.chat(BODY, RUN, "agent-7").statusCode()).isEqualTo(200);
        assertThat(h.chat(BODY, RUN, "agent-7").statusCode()).isEqualTo(200);
        assertThat(h.chat(BODY, RUN, "agent-8").statusCode()).isEqualTo(200);
        h.assertSettled(3, "default");

        HttpResponse<String> stop = h.adminPost("/v1/runs/agent-7/stop", "{\"reason\":\"runaway tool loop\"}");

        assertThat(stop.statusCode()).isEqualTo(200);
        assertThat(ProxyHarness.json(stop).getString("state")).isEqualTo("stopped");
        assertThat(ProxyHarness.json(stop).getLong("steps")).isEqualTo(2);
        HttpResponse<String> refused = h.chat(BODY, RUN, "agent-7");
        assertThat(refused.statusCode()).isEqualTo(402);
        assertThat(error(refused).getString("code")).isEqualTo("RUN_STOPPED");
        assertThat(error(refused).getString("message")).contains("Run 'agent-7'").contains("stopped by an operator");
        JsonObject sg = error(refused).getJsonObject("spendguard");
        assertThat(sg.getString("run_id")).isEqualTo("agent-7");
        assertThat(sg.getLong("run_steps")).isEqualTo(2);
        assertThat(sg.getLong("run_usd_micros")).isPositive();
        assertThat(h.chat(BODY, RUN, "agent-8").statusCode()).as("other runs go on").isEqualTo(200);
        assertThat(h.mock.served()).isEqualTo(4);
        assertThat(h.counter("spendguard.run.stops", "reason", "RUN_STOPPED")).isEqualTo(1);
    }

    @Test
    void aHistoryRepeatingOneToolCallIsALoopTheSidecarRefuses() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", "runs: {max_repeated_tool_calls: 3}"));

        assertThat(h.chat(toolLoop(2), RUN, "looper").statusCode()).as("below the limit").isEqualTo(200);
        HttpResponse<String> r = h.chat(toolLoop(3), RUN, "looper");

        assertThat(r.statusCode()).isEqualTo(402);
        assertThat(r.headers().firstValue("x-should-retry")).hasValue("false");
        assertThat(error(r).getString("code")).isEqualTo("RUN_LOOP_DETECTED");
        assertThat(error(r).getString("message")).contains("3 times or more").contains("runs.max_repeated_tool_calls");
        JsonObject sg = error(r).getJsonObject("spendguard");
        assertThat(sg.getString("run_id")).isEqualTo("looper");
        assertThat(sg.getLong("run_steps")).isEqualTo(1);
        assertThat(h.mock.served()).isEqualTo(1);
        assertThat(h.counter("spendguard.run.stops", "reason", "RUN_LOOP_DETECTED")).isEqualTo(1);

        HttpResponse<String> runless = h.chat(toolLoop(4));
        assertThat(runless.statusCode()).as("a loop needs no run id").isEqualTo(402);
        assertThat(error(runless).getString("code")).isEqualTo("RUN_LOOP_DETECTED");
        assertThat(error(runless).getJsonObject("spendguard").getValue("run_id")).isNull();
        assertThat(error(runless).getJsonObject("spendguard").getLong("run_steps")).isZero();
        assertThat(h.mock.served()).isEqualTo(1);
    }
}
