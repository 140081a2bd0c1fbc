package io.spendguard.proxy.cli;

import io.spendguard.proxy.mock.MockProvider;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code mock-provider [--host H] [--port N] [--latency-ms N] [--chunk-delay-ms N] [--output-tokens N]}:
 * the {@link MockProvider} (a fake OpenAI and Anthropic server) on its own, for tests, demos and load
 * tests; prints {@code mock provider on port N} once it listens. The flags set defaults that the
 * per-request {@code x-mock-*} headers override.
 */
@Command(name = "mock-provider", mixinStandardHelpOptions = true, versionProvider = SpendGuardCli.Version.class,
        description = {"Runs a fake OpenAI + Anthropic server (JSON and SSE, real usage blocks) for tests, demos and "
                + "load tests; prints 'mock provider on port N' once it listens.",
                "The options set defaults; x-mock-* request headers (x-mock-latency-ms, x-mock-status, "
                        + "x-mock-reset-after-chunks, ...) override them per request. GET /mock/stats reports what it served."})
public final class MockProviderCommand implements Callable<Integer> {
    @ParentCommand
    private SpendGuardCli cli;
    @Spec
    private CommandSpec spec;
    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "the address to listen on; default: ${DEFAULT-VALUE}")
    private String host;
    @Option(names = "--port", paramLabel = "N", defaultValue = "0",
            description = "the port to listen on (0: any free port, printed); default: ${DEFAULT-VALUE}")
    private int port;
    @Option(names = "--latency-ms", paramLabel = "N", defaultValue = "0",
            description = "delay before each reply starts; default: ${DEFAULT-VALUE}")
    private long latencyMs;
    @Option(names = "--chunk-delay-ms", paramLabel = "N", defaultValue = "0",
            description = "delay between streamed (SSE) chunks; default: ${DEFAULT-VALUE}")
    private long chunkDelayMs;
    @Option(names = "--output-tokens", paramLabel = "N", defaultValue = "12",
            description = "output tokens each reply bills, at most the request's max tokens (below 0: exactly its max tokens); "
                    + "default: ${DEFAULT-VALUE}")
    private int outputTokens;

    @Override
    public Integer call() {
        Vertx vertx = Vertx.vertx();
        try {
            MockProvider mock = new MockProvider(vertx, new MockProvider.Options(latencyMs, chunkDelayMs, outputTokens))
                    .listen(host, port).await(10, TimeUnit.SECONDS);
            spec.commandLine().getOut().println("mock provider on port " + mock.port());
        } catch (Exception e) {
            spec.commandLine().getErr().println("mock-provider: cannot start: " + e.getMessage());
            vertx.close();
            return 1;
        }
        cli.serving();
        return 0;
    }
}
