package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.mock.MockProvider;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Agent runs (SPEC §10) driven by real agent frameworks through the proxy (src/test/node): the OpenAI
 * Agents SDK ({@code agents-sdk-run.mjs}: Chat Completions and Responses, plain and streamed) and
 * LangChain.js ({@code langchain-run.mjs}: ChatOpenAI bound to a tool in a manual loop, Chat Completions
 * plain and streamed, Responses). Each scenario is one run, named by {@code X-SpendGuard-Run-Id} on the
 * framework's OpenAI client, asking the mock model for the weather through one tool. A normal run takes
 * two model calls (tool call, then text) and each is one settled step of the run. A stuck run (the mock
 * answers the same tool call forever) is stopped by the proxy with a 402 {@code RUN_LOOP_DETECTED} once
 * its history repeats the call {@code runs.max_repeated_tool_calls} times, long before the framework's
 * own turn limit, and the framework surfaces the 402 without retrying it.
 */
class AgentFrameworksTest extends HarnessTest {
    private static final int MAX_REPEATED = 3;
    private static final int MAX_TURNS = 50;
    private static final String RUNS = "runs: {max_repeated_tool_calls: " + MAX_REPEATED + ", max_steps: 20}";
    private static final List<String> AGENTS_SDK = List.of("chat_completions:json", "chat_completions:sse", "responses:json",
            "responses:sse");
    private static final List<String> LANGCHAIN = List.of("chat:json", "chat:sse", "responses:json");

    private Map<String, JsonObject> run(String script, String mode, List<String> scenarios) throws Exception {
        NodeScripts.install("@openai/agents", "@langchain/openai", "@langchain/core", "zod");
        h = start(ProxyHarness.config(1_000_000, "", RUNS));
        String[] expected = scenarios.stream().map(s -> "result:" + s).toArray(String[]::new);
        return NodeScripts.run(script, Map.of(
                "OPENAI_BASE_URL", "http://127.0.0.1:" + h.server.port() + "/v1",
                "OPENAI_API_KEY", "sk-test",
                "OPENAI_AGENTS_DISABLE_TRACING", "1",
                "LANGSMITH_TRACING", "false",
                "SG_MODE", mode,
                "SG_MAX_TURNS", Integer.toString(MAX_TURNS),
                "SG_SCENARIOS", String.join(",", scenarios)), "key", expected);
    }

    /** Model calls of one run that reached the mock (the scripts put the run id in the user message). */
    private long servedFor(String runId) {
        return h.mock.received().stream().filter(r -> r.method().equals("POST"))
                .map(MockProvider.Received::body).filter(b -> b.toString().contains("(run " + runId + ")")).count();
    }

    /** The HTTP requests the framework made in {@code scenario}, in order (retries included). */
    private static List<JsonObject> calls(Map<String, JsonObject> lines, String scenario) {
        return lines.entrySet().stream().filter(e -> e.getKey().startsWith("call:" + scenario + ":"))
                .map(Map.Entry::getValue).sorted((a, b) -> Integer.compare(a.getInteger("n"), b.getInteger("n"))).toList();
    }

    private void assertCompleted(Map<String, JsonObject> lines, List<String> scenarios) throws Exception {
        for (String scenario : scenarios) {
            JsonObject result = lines.get("result:" + scenario);
            assertThat(result.getString("outcome")).as(result.encode()).isEqualTo("completed");
            assertThat(result.getString("final_output")).as(scenario).startsWith("mock mock");
            assertThat(result.getInteger("tool_runs")).as(scenario).isEqualTo(1);
            assertThat(result.getInteger("requests")).as("tool call, then text: " + scenario).isEqualTo(2);
            assertThat(calls(lines, scenario)).as(scenario).allSatisfy(c -> assertThat(c.getInteger("status")).isEqualTo(200));
            String runId = result.getString("run_id");
            assertThat(servedFor(runId)).as(scenario).isEqualTo(2);
            JsonObject run = ProxyHarness.json(h.adminGet("/v1/runs/" + runId));
            assertThat(run.getLong("steps")).as("one step per model call: " + run.encode()).isEqualTo(2);
        }
        h.assertSettled(2.0 * scenarios.size(), "default");
        assertThat(h.mock.served()).isEqualTo(2L * scenarios.size());
    }

    private void assertStoppedByTheProxy(Map<String, JsonObject> lines, List<String> scenarios) throws Exception {
        for (String scenario : scenarios) {
            JsonObject result = lines.get("result:" + scenario);
            assertThat(result.getString("outcome")).as(result.encode()).isEqualTo("error");
            JsonObject error = result.getJsonObject("error");
            assertThat(error.getInteger("status")).as(result.encode()).isEqualTo(402);
            assertThat(error.getString("type")).isEqualTo("budget_exceeded");
            assertThat(error.getString("code")).isEqualTo("RUN_LOOP_DETECTED");
            String runId = result.getString("run_id");
            assertThat(error.getJsonObject("spendguard").getString("run_id")).isEqualTo(runId);

            long served = servedFor(runId);
            assertThat(served).as("the history repeats the call %d times on call %d", MAX_REPEATED, MAX_REPEATED + 1)
                    .isEqualTo(MAX_REPEATED).isLessThan(MAX_TURNS);
            List<JsonObject> calls = calls(lines, scenario);
            assertThat(calls).as("every served call plus the one refused, never retried: " + calls)
                    .hasSize((int) served + 1);
            assertThat(calls).allSatisfy(c -> assertThat(c.getInteger("retry_count")).isZero());
            JsonObject refused = calls.get(calls.size() - 1);
            assertThat(refused.getInteger("status")).isEqualTo(402);
            assertThat(refused.getString("error_code")).isEqualTo("RUN_LOOP_DETECTED");
            assertThat(refused.getString("should_retry")).isEqualTo("false");
            assertThat(result.getInteger("tool_runs")).isEqualTo(MAX_REPEATED);

            JsonObject run = ProxyHarness.json(h.adminGet("/v1/runs/" + runId));
            assertThat(run.getLong("steps")).as(run.encode()).isEqualTo(MAX_REPEATED);
        }
        h.assertSettled((double) MAX_REPEATED * scenarios.size(), "default");
        assertThat(h.counter("spendguard.run.stops", "reason", "RUN_LOOP_DETECTED")).isEqualTo(scenarios.size());
    }

    @Test
    void anAgentsSdkRunFinishesInTwoModelCallsEachASettledStep() throws Exception {
        assertCompleted(run("agents-sdk-run.mjs", "normal", AGENTS_SDK), AGENTS_SDK);
    }

    @Test
    void anAgentsSdkAgentStuckOnOneToolCallIsStoppedWithA402ItDoesNotRetry() throws Exception {
        assertStoppedByTheProxy(run("agents-sdk-run.mjs", "stuck", AGENTS_SDK), AGENTS_SDK);
    }

    @Test
    void aLangChainToolLoopFinishesInTwoModelCallsEachASettledStep() throws Exception {
        assertCompleted(run("langchain-run.mjs", "normal", LANGCHAIN), LANGCHAIN);
    }

    @Test
    void aLangChainLoopStuckOnOneToolCallIsStoppedWithA402ItDoesNotRetry() throws Exception {
        assertStoppedByTheProxy(run("langchain-run.mjs", "stuck", LANGCHAIN), LANGCHAIN);
    }
}
