package io.spendguard.proxy.cli;

import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.GateMode;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.mock.MockProvider;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: the proxy on :8080 and admin on :8081 with the embedded engine, a memory ledger and
 * an in-process mock provider; no key and no network. Prints the curl lines that walk through
 * 200 → 402 → 409 → approve → resume, then a runaway agent stopped (a tool loop, the kill switch). {@code demo --sidecar} runs the budgets in a second process,
 * the sidecar, on a temporary Unix socket (its admin API, where approvals are resolved, on :8082)
 * and the proxy in {@code gate.mode: sidecar}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = SpendGuardCli.Version.class,
        description = {"Runs the proxy on :8080 and its admin API on :8081 with the embedded engine, a memory ledger, "
                + "a demo budget and a built-in mock provider: no API key, no network.",
                "Prints the curl lines that walk through 200 -> 402 -> 409 -> approve -> resume, then a runaway agent stopped. "
                        + "Ctrl-C stops it."})
public final class DemoCommand implements Callable<Integer> {
    private static final String CONFIG = "classpath:config/demo.yaml";

    @ParentCommand
    private SpendGuardCli cli;
    @Spec
    private CommandSpec spec;
    @Option(names = "--sidecar", description = "run the budgets in a second process, the sidecar, on a temporary Unix "
            + "socket (its admin API, where approvals are resolved, on :8082); the proxy reserves against it over gRPC")
    private boolean sidecar;

    @Override
    public Integer call() throws Exception {
        Vertx mockVertx = Vertx.vertx();
        try {
            MockProvider mock = new MockProvider(mockVertx, new MockProvider.Options(0, 20, -1))
                    .listen("127.0.0.1", 0).await(10, TimeUnit.SECONDS);
            Map<String, String> env = new HashMap<>(System.getenv());
            env.put("MOCK_PROVIDER_URL", "http://127.0.0.1:" + mock.port());
            int controlAdmin = 8081;
            if (sidecar) {
                Path socket = Files.createTempDirectory("spendguard-demo").resolve("adapter.sock");
                env.put("SPENDGUARD_SOCKET", socket.toString());
                controlAdmin = 8082;
                startSidecar(env, socket, controlAdmin);
                env.put("SPENDGUARD_GATE_MODE", GateMode.SIDECAR.label());
            }
            ProxyConfig config = ConfigLoader.load(CONFIG, env::get);
            ServeCommand.start(config, ServeCommand.prices(config, CONFIG),
                    "demo (mock provider at " + env.get("MOCK_PROVIDER_URL") + ")", null, spec.commandLine().getOut());
            spec.commandLine().getOut().println(script(config.listen().port(), controlAdmin));
        } catch (Exception e) {
            mockVertx.close();
            throw e;
        }
        cli.serving();
        return 0;
    }

    /** The sidecar as a second process on {@code socket}, its admin API on {@code adminPort}; stopped with the demo. */
    private static void startSidecar(Map<String, String> env, Path socket, int adminPort) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), SpendGuardCli.class.getName(),
                "sidecar", "--config", CONFIG, "--socket", socket.toString()).inheritIO();
        pb.environment().putAll(env);
        pb.environment().put("SPENDGUARD_ADMIN_PORT", Integer.toString(adminPort));
        Process child = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(child::destroy));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(socket) && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        if (!Files.exists(socket)) {
            child.destroy();
            throw new IllegalStateException("the sidecar did not start on " + socket);
        }
    }

    /** The walkthrough printed after start-up: curl lines against {@code port} and {@code admin}. */
    static String script(int port, int admin) {
        String call = "curl -s -i http://localhost:" + port + "/v1/chat/completions -H 'content-type: application/json'";
        String small = " -d '{\"model\":\"gpt-4o\",\"max_tokens\":1000,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'";
        String large = " -d '{\"model\":\"gpt-4o\",\"max_tokens\":8000,\"messages\":[{\"role\":\"user\",\"content\":\"Write a long report\"}]}'";
        String toolRound = "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                + "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"sunny\"}";
        String loop = " -d '{\"model\":\"gpt-4o\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                + String.join(",", toolRound, toolRound, toolRound) + "]}'";
        return """

                Budget "demo" ($0.03, default) and budget "team" ($1.00, approval above $0.05) are loaded.
                Each call below claims up to $0.01 (gpt-4o, max_tokens 1000) and the mock bills it in full.

                1) 200 twice, then 402 budget_exceeded on the third call:
                   %1$s%2$s
                   %1$s%2$s
                   %1$s%2$s

                2) 409 approval_required: a larger call on budget "team":
                   %1$s -H 'X-SpendGuard-Budget-Id: team'%3$s

                3) approve it (the approval id is in the 409 body and its X-SpendGuard-Approval-Id header):
                   APPROVAL_ID=$(curl -s 'http://localhost:%5$d/v1/approvals?state=pending' | grep -o 'apr_[0-9a-f.]*' | head -1)
                   curl -s -X POST http://localhost:%5$d/v1/approvals/$APPROVAL_ID/resolve -H 'content-type: application/json' -d '{"decision":"approve","reason":"demo"}'

                4) resume: the same request with the approval id → 200 (a second resume → 409 approval_consumed):
                   %1$s -H 'X-SpendGuard-Budget-Id: team' -H "X-SpendGuard-Approval-Id: $APPROVAL_ID"%3$s

                5) a runaway agent: its history repeats one tool call 3 times (runs.max_repeated_tool_calls: 3)
                   → 402 RUN_LOOP_DETECTED, nothing sent:
                   %1$s -H 'X-SpendGuard-Budget-Id: team' -H 'X-SpendGuard-Run-Id: agent-1'%6$s

                6) the kill switch: stop run agent-2, and its next call → 402 RUN_STOPPED:
                   curl -s -X POST http://localhost:%5$d/v1/runs/agent-2/stop -H 'content-type: application/json' -d '{"reason":"demo"}'
                   %1$s -H 'X-SpendGuard-Budget-Id: team' -H 'X-SpendGuard-Run-Id: agent-2'%2$s

                Budgets: curl -s http://localhost:%5$d/v1/budgets     Runs: curl -s http://localhost:%5$d/v1/runs     Metrics: curl -s http://localhost:%5$d/metrics | grep spendguard_
                Streaming: add "stream":true to a body (and -N to curl). Ctrl-C stops the demo.
                """.formatted(call, small, large, port, admin, loop);
    }
}
