package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Agent runs through the proxy on the SQLite ledger: steps limited, the kill switch kept in the file. */
class AgentRunsSqliteTest extends HarnessTest {
    @TempDir
    Path dir;

    @Test
    void aRunsStepsAndItsStopAreKeptByTheSqliteLedger() throws Exception {
        h = start(ProxyHarness.withLedger(ProxyHarness.config(1_000_000, "", "runs: {max_steps: 2, dedupe_retries: false}"),
                "{ kind: sqlite, path: \"" + dir.resolve("ledger.db") + "\" }"));
        assertThat(h.chat(ChatCompletionsTest.BODY, "X-SpendGuard-Run-Id", "run-1").statusCode()).isEqualTo(200);
        assertThat(h.chat(ChatCompletionsTest.BODY, "X-SpendGuard-Run-Id", "run-1").statusCode()).isEqualTo(200);
        HttpResponse<String> third = h.chat(ChatCompletionsTest.BODY, "X-SpendGuard-Run-Id", "run-1");

        assertThat(third.statusCode()).isEqualTo(402);
        JsonObject error = ProxyHarness.json(third).getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("RUN_STEP_LIMIT");
        assertThat(error.getJsonObject("spendguard").getLong("run_steps")).isEqualTo(2);
        assertThat(h.mock.served()).isEqualTo(2);

        assertThat(h.adminPost("/v1/runs/run-2/stop", "{\"reason\":\"stop\",\"budget_id\":\"default\"}").statusCode()).isEqualTo(200);
        assertThat(ProxyHarness.json(h.chat(ChatCompletionsTest.BODY, "X-SpendGuard-Run-Id", "run-2")).getJsonObject("error")
                .getString("code")).isEqualTo("RUN_STOPPED");
        assertThat(ProxyHarness.json(h.adminGet("/v1/runs/run-1")).getLong("steps")).isEqualTo(2);
        h.assertSettled(2, "default");
    }

    @Test
    void aStoppedRunStaysStoppedAcrossARestart() throws Exception {
        String yaml = ProxyHarness.withLedger(ProxyHarness.config(1_000_000, "", ""),
                "{ kind: sqlite, path: \"" + dir.resolve("ledger.db") + "\" }");
        h = start(yaml);
        assertThat(h.chat(ChatCompletionsTest.BODY, "X-SpendGuard-Run-Id", "runaway").statusCode()).isEqualTo(200);
        assertThat(h.adminPost("/v1/runs/runaway/stop", "{\"reason\":\"looping\"}").statusCode()).isEqualTo(200);
        h.close();

        h = start(yaml);
        HttpResponse<String> after = h.chat(ChatCompletionsTest.BODY.replace("hello", "again"), "X-SpendGuard-Run-Id", "runaway");

        assertThat(after.statusCode()).isEqualTo(402);
        assertThat(ProxyHarness.json(after).getJsonObject("error").getString("code")).isEqualTo("RUN_STOPPED");
        JsonObject run = ProxyHarness.json(h.adminGet("/v1/runs/runaway"));
        assertThat(run.getString("state")).isEqualTo("stopped");
        assertThat(run.getString("stop_reason")).isEqualTo("looping");
        assertThat(run.getLong("steps")).isEqualTo(1);
        assertThat(h.mock.served()).as("the restarted proxy sent nothing for the stopped run").isZero();
    }
}
