package io.spendguard.proxy.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.ProxyHarness;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A real proxy in front of the mock provider, driven through every kind of call a dashboard shows:
 * a JSON call and a stream that are admitted and settled, a provider 500 (released), a 402 and a
 * 409. Its {@code /metrics} is then scraped over HTTP like Prometheus would. Started with
 * {@link #startWithSidecar()}, the proxy runs in {@code gate.mode: sidecar} in front of our sidecar,
 * and each process has a {@code /metrics} of its own.
 */
final class ScriptedRun {
    static final String CHAT = "{\"model\":\"gpt-test\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    static final String STREAM = "{\"model\":\"gpt-test\",\"stream\":true,\"max_tokens\":50,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    static final String CONFIG = """
            listen: { host: 127.0.0.1, port: 0 }
            admin: { host: 127.0.0.1, port: 0 }
            ledger: { kind: memory }
            gate: { timeout_ms: 2000 }
            providers:
              openai: { base_url: "MOCK_URL", api_key: "", timeout_ms: 5000 }
              anthropic: { base_url: "MOCK_URL", api_key: "", timeout_ms: 5000 }
            auth: { trust_budget_header: true }
            budgets:
              - { id: default, limit_usd: 1.00, window: daily, default: true }
              - { id: tiny, limit_usd: 0.00001, window: daily }
              - { id: reviewed, limit_usd: 1.00, window: daily, approval_above_usd: 0.00005 }
            """;

    final ProxyHarness h;
    final HttpResponse<String> ok;
    final HttpResponse<String> streamed;
    final HttpResponse<String> providerError;
    final HttpResponse<String> stopped;
    final HttpResponse<String> approval;

    private ScriptedRun(ProxyHarness h) throws Exception {
        this.h = h;
        ok = h.chat(CHAT);
        streamed = h.chat(STREAM);
        providerError = h.chat(CHAT, "x-mock-status", "500");
        stopped = h.chat(CHAT, "X-SpendGuard-Budget-Id", "tiny");
        approval = h.chat(CHAT, "X-SpendGuard-Budget-Id", "reviewed");
        assertThat(new int[] {ok.statusCode(), streamed.statusCode(), providerError.statusCode(), stopped.statusCode(),
                approval.statusCode()}).containsExactly(200, 200, 500, 402, 409);
        ProxyHarness.await("three settlements", () -> h.settlements() >= 3);
    }

    static ScriptedRun start() throws Exception {
        return run(ProxyHarness.start(CONFIG));
    }

    /** The same run with the proxy in {@code gate.mode: sidecar}, our sidecar owning the budgets. */
    static ScriptedRun startWithSidecar() throws Exception {
        return run(ProxyHarness.startWithSidecar(CONFIG));
    }

    private static ScriptedRun run(ProxyHarness h) throws Exception {
        try {
            return new ScriptedRun(h);
        } catch (Exception | AssertionError e) {
            h.close();
            throw e;
        }
    }

    /** {@code GET /metrics} on the admin port (in sidecar mode: the sidecar's). */
    PromText scrape() throws Exception {
        return PromText.parse(metricsText());
    }

    /** The text of {@code GET /metrics} on the admin port that owns the budgets: the proxy's, or in sidecar mode the sidecar's. */
    String metricsText() throws Exception {
        return body(h.adminGet("/metrics"));
    }

    /** The text of {@code GET /metrics} on the proxy's own admin port (in sidecar mode not the sidecar's). */
    String proxyMetricsText() throws Exception {
        return body(h.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.server.adminPort() + "/metrics"))
                .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString()));
    }

    private static String body(HttpResponse<String> r) {
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        return r.body();
    }

    void close() throws Exception {
        h.close();
    }
}
