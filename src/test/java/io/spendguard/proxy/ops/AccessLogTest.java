package io.spendguard.proxy.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.ProxyHarness;
import io.spendguard.proxy.http.AccessLog;
import io.spendguard.proxy.mock.MockProvider;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One JSON access-log line per call with what an operator needs, and nothing secret in any log; the
 * client's {@code traceparent} reaches the provider and the log line.
 */
class AccessLogTest {
    static final String PROVIDER_KEY = "sk-provider-key-for-access-log-test-42";
    static final String PROMPT = "purple-elephant-prompt-7731";
    static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private final Logger root = Logger.getLogger("");
    private final List<String> everything = new ArrayList<>();
    private final List<JsonObject> access = new ArrayList<>();
    private final Handler capture = new Handler() {
        private final SimpleFormatter format = new SimpleFormatter();

        @Override
        public synchronized void publish(LogRecord r) {
            StringWriter text = new StringWriter().append(format.format(r));
            if (r.getThrown() != null) {
                r.getThrown().printStackTrace(new PrintWriter(text));
            }
            everything.add(text.toString());
            if (AccessLog.LOGGER.equals(r.getLoggerName())) {
                access.add(new JsonObject(r.getMessage()));
            }
        }

        @Override
        public void flush() { }

        @Override
        public void close() { }
    };
    private Level rootLevel;
    private ProxyHarness h;

    @BeforeEach
    void captureEverything() {
        rootLevel = root.getLevel();
        capture.setLevel(Level.ALL);
        root.setLevel(Level.ALL);
        root.addHandler(capture);
    }

    @AfterEach
    void stop() throws Exception {
        root.removeHandler(capture);
        root.setLevel(rootLevel);
        if (h != null) {
            h.close();
        }
    }

    private synchronized List<JsonObject> lines() {
        return List.copyOf(access);
    }

    @Test
    void logsOneLinePerCallAndNoSecret() throws Exception {
        h = ProxyHarness.start(ScriptedRun.CONFIG.replace("openai: { base_url: \"MOCK_URL\", api_key: \"\"",
                "openai: { base_url: \"MOCK_URL\", api_key: \"" + PROVIDER_KEY + "\""));
        String body = ScriptedRun.CHAT.replace("Say hello", PROMPT);
        HttpResponse<String> ok = h.chat(body, "traceparent", TRACEPARENT);
        HttpResponse<String> stopped = h.chat(body, "X-SpendGuard-Budget-Id", "tiny");
        HttpResponse<String> failed = h.chat(body, "x-mock-status", "500");
        assertThat(new int[] {ok.statusCode(), stopped.statusCode(), failed.statusCode()}).containsExactly(200, 402, 500);
        ProxyHarness.await("three access-log lines", () -> lines().size() >= 3);

        List<JsonObject> lines = lines();
        assertThat(lines).hasSize(3);
        JsonObject first = lines.stream().filter(l -> l.getInteger("status") == 200).findFirst().orElseThrow();
        assertThat(first.getString("route")).isEqualTo("chat_completions");
        assertThat(first.getString("provider")).isEqualTo("openai");
        assertThat(first.getString("model")).isEqualTo("gpt-test");
        assertThat(first.getString("budget_id")).isEqualTo("default");
        assertThat(first.getString("decision")).isEqualTo("CONTINUE");
        assertThat(first.getString("decision_id")).isEqualTo(ok.headers().firstValue("X-SpendGuard-Decision-Id").orElseThrow());
        assertThat(first.getLong("reserved_usd_micros")).isEqualTo(Long.parseLong(ok.headers().firstValue("X-SpendGuard-Reserved-Usd-Micros").orElseThrow()));
        assertThat(first.getLong("committed_usd_micros")).isEqualTo(Long.parseLong(ok.headers().firstValue("X-SpendGuard-Cost-Usd-Micros").orElseThrow()));
        assertThat(first.getString("settlement")).isEqualTo("usage");
        assertThat(first.getString("trace_id")).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(first.getLong("duration_ms")).isNotNegative();

        JsonObject refused = lines.stream().filter(l -> l.getInteger("status") == 402).findFirst().orElseThrow();
        assertThat(refused.getString("outcome")).isEqualTo("stopped");
        assertThat(refused.getString("budget_id")).isEqualTo("tiny");
        assertThat(refused.getLong("committed_usd_micros")).isZero();
        JsonObject released = lines.stream().filter(l -> l.getInteger("status") == 500).findFirst().orElseThrow();
        assertThat(released.getString("settlement")).isEqualTo("provider_500");
        assertThat(released.getLong("committed_usd_micros")).isZero();

        for (String logged : List.copyOf(everything)) {
            assertThat(logged).doesNotContain("sk-client-secret-1234", PROVIDER_KEY, PROMPT);
        }
    }

    @Test
    void forwardsTraceparentToTheProvider() throws Exception {
        h = ProxyHarness.start(ScriptedRun.CONFIG);
        assertThat(h.chat(ScriptedRun.CHAT, "traceparent", TRACEPARENT, "tracestate", "vendor=abc").statusCode()).isEqualTo(200);
        MockProvider.Received got = h.mock.received().get(h.mock.received().size() - 1);
        assertThat(got.headers().get("traceparent")).isEqualTo(TRACEPARENT);
        assertThat(got.headers().get("tracestate")).isEqualTo("vendor=abc");
    }
}
