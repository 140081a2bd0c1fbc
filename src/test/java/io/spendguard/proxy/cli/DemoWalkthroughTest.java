package io.spendguard.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spendguard.proxy.ProxyServer;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.mock.MockProvider;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The walkthrough {@code demo} prints works as printed: its curl lines, run by bash against the demo's
 * own configuration (on free ports), answer 200, 200, 402, 409, then approve and resume with 200 and
 * refuse a second resume with 409; a runaway agent's tool loop and a stopped run are each a 402.
 */
class DemoWalkthroughTest {

    @Test
    void thePrintedCurlLinesWalkThroughStopApprovalAndResume() throws Exception {
        Assumptions.assumeTrue(onPath("bash") && onPath("curl"), "bash and curl are needed to run the printed lines");
        PrometheusMeterRegistry registry = ProxyServer.newRegistry();
        Vertx vertx = ProxyServer.newVertx(registry);
        try {
            MockProvider mock = new MockProvider(vertx, new MockProvider.Options(0, 0, -1)).listen("127.0.0.1", 0)
                    .await(10, TimeUnit.SECONDS);
            String yaml = Files.readString(Path.of("config/demo.yaml"))
                    .replace("port: 8080", "port: 0").replace("${SPENDGUARD_ADMIN_PORT:-8081}", "0");
            ProxyConfig config = ConfigLoader.parse(yaml, Map.of("MOCK_PROVIDER_URL", "http://127.0.0.1:" + mock.port())::get, "demo.yaml");
            ProxyServer server = ProxyServer.start(vertx, config, ServeCommand.prices(config, "config/demo.yaml"), Clock.systemUTC(),
                    registry, 1).await(20, TimeUnit.SECONDS);
            String script = DemoCommand.script(server.port(), server.adminPort());
            List<String> lines = script.lines().map(String::strip)
                    .filter(l -> l.startsWith("curl -s -i") || l.startsWith("APPROVAL_ID=") || l.startsWith("curl -s -X POST"))
                    .collect(Collectors.toList());
            // The resume, once more: a consumed approval is refused.
            int resume = lines.indexOf(lines.stream().filter(l -> l.contains("X-SpendGuard-Approval-Id: $APPROVAL_ID")).findFirst().orElseThrow());
            lines.add(resume + 1, lines.get(resume));
            assertThat(lines).hasSize(11);

            Process bash = new ProcessBuilder("bash", "-c", "set -e\n" + String.join("\n", lines)).redirectErrorStream(true).start();
            String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(bash.waitFor(60, TimeUnit.SECONDS)).isTrue();

            Matcher status = Pattern.compile("HTTP/1\\.1 (\\d{3}) ").matcher(out);
            List<String> statuses = status.results().map(m -> m.group(1)).toList();
            assertThat(statuses).as(out).containsExactly("200", "200", "402", "409", "200", "409", "402", "402");
            assertThat(out).contains("\"state\":\"approved\"").contains("approval_consumed")
                    .contains("RUN_LOOP_DETECTED").contains("RUN_STOPPED");
            server.stop().await(20, TimeUnit.SECONDS);
        } finally {
            vertx.close().await(20, TimeUnit.SECONDS);
        }
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
