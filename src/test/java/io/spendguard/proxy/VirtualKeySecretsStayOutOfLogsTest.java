package io.spendguard.proxy;

import static io.spendguard.proxy.VirtualKeyClient.KEY_A;
import static io.spendguard.proxy.VirtualKeyClient.KEY_B;
import static io.spendguard.proxy.VirtualKeyClient.KEY_CHOOSER;
import static io.spendguard.proxy.VirtualKeyClient.PROVIDER_KEY;
import static io.spendguard.proxy.VirtualKeyClient.admin;
import static io.spendguard.proxy.VirtualKeyClient.chat;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.config.ProxyConfig.KeyConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
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
 * Keys never reach the logs or the metrics: everything the proxy logs (every level) while keys are
 * made, used, refused and revoked is captured and searched for every key and the provider key.
 */
class VirtualKeySecretsStayOutOfLogsTest extends HarnessTest {
    private final Logger root = Logger.getLogger("");
    private final List<String> logged = new ArrayList<>();
    private final Handler capture = new Handler() {
        private final SimpleFormatter format = new SimpleFormatter();

        @Override
        public void publish(LogRecord r) {
            StringWriter text = new StringWriter().append(format.format(r));
            if (r.getThrown() != null) {
                r.getThrown().printStackTrace(new PrintWriter(text));
            }
            synchronized (logged) {
                logged.add(text.toString());
            }
        }

        @Override
        public void flush() { }

        @Override
        public void close() { }
    };
    private Level rootLevel;

    @BeforeEach
    void captureEverything() {
        rootLevel = root.getLevel();
        capture.setLevel(Level.ALL);
        root.setLevel(Level.ALL);
        root.addHandler(capture);
    }

    @AfterEach
    void stopCapturing() {
        root.removeHandler(capture);
        root.setLevel(rootLevel);
    }

    @Test
    void noKeyAppearsInLogsOrMetricsWhateverHappensToACall() throws Exception {
        // No Anthropic key: start-up warns about it, which shows the capture sees the proxy's logs.
        h = start(VirtualKeyClient.config("").replaceFirst("(anthropic: \\{ base_url: \"MOCK_URL\", api_key: )\"[^\"]*\"", "$1\"\""));
        String made = ProxyHarness.json(admin(h, "POST", "/v1/keys", "{\"budget_id\":\"b\"}")).getString("key");

        assertThat(chat(h, KEY_A, ChatCompletionsTest.BODY).statusCode()).isEqualTo(200);
        assertThat(chat(h, made, StreamingTest.STREAM).statusCode()).isEqualTo(200);
        assertThat(chat(h, KEY_B, ChatCompletionsTest.BODY, "x-mock-status", "500").statusCode()).isEqualTo(500);
        assertThat(chat(h, KEY_A, ChatCompletionsTest.BODY, "X-SpendGuard-Budget-Id", "b").statusCode()).isEqualTo(403);
        assertThat(chat(h, KEY_CHOOSER, ChatCompletionsTest.BODY, "X-SpendGuard-Budget-Id", "nope").statusCode()).isEqualTo(400);
        assertThat(chat(h, PROVIDER_KEY, ChatCompletionsTest.BODY).statusCode()).isEqualTo(401);
        assertThat(chat(h, "sg-unknown-0123456789abcdefghijklmnop", "{not json").statusCode()).isIn(400, 401);
        assertThat(admin(h, "DELETE", "/v1/keys/key-a", null).statusCode()).isEqualTo(200);
        assertThat(chat(h, KEY_A, ChatCompletionsTest.BODY).statusCode()).isEqualTo(401);
        h.assertSettled(3, "a");
        String metrics = admin(h, "GET", "/metrics", null).body();
        h.close();
        h = null;

        String all;
        synchronized (logged) {
            all = String.join("\n", logged);
        }
        assertThat(all).as("the capture works: the missing Anthropic key was logged at start-up")
                .contains("providers.anthropic.api_key is not set");
        for (String secret : List.of(KEY_A, KEY_B, KEY_CHOOSER, made, PROVIDER_KEY, "sg-unknown-0123456789abcdefghijklmnop")) {
            assertThat(all).as("logs").doesNotContain(secret).doesNotContain(KeyConfig.sha256(secret));
            assertThat(metrics).as("metrics").doesNotContain(secret).doesNotContain(KeyConfig.sha256(secret));
        }
        assertThat(all).doesNotContain("sg-alpha").doesNotContain("sk-provider-secret");
    }
}
