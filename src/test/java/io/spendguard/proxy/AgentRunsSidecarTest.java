package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * Agent runs with the budgets in our sidecar ({@code gate.mode: sidecar}): the sidecar keeps run state
 * and serves the run routes on its admin API; the proxy's own admin API, which has no engine, does not.
 */
class AgentRunsSidecarTest extends HarnessTest {
    @Override
    protected boolean sidecar() {
        return true;
    }

    @Test
    void theSidecarsAdminApiListsAndStopsRunsAndTheProxysOwnSendsThereInstead() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        assertThat(h.chat(ChatCompletionsTest.BODY).statusCode()).isEqualTo(200);

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

        HttpResponse<String> refused = h.chat(ChatCompletionsTest.BODY, "X-SpendGuard-Run-Id", "agent-1");
        assertThat(refused.statusCode()).isEqualTo(402);
        assertThat(ProxyHarness.json(refused).getJsonObject("error").getString("code")).isEqualTo("RUN_STOPPED");
        assertThat(h.mock.served()).isEqualTo(1);
    }
}
