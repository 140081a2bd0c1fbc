package io.spendguard.proxy.bench;

import io.spendguard.proxy.config.ProxyConfig.EstimationConfig;
import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.estimate.Estimator;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.provider.openai.OpenAiChat;
import io.spendguard.proxy.provider.RequestJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The claim for one request, as the pipeline computes it: the 2 KB chat body parsed to JSON (with
 * duplicate-key detection, as {@link RequestJson} reads bodies), read by the chat shape, and estimated
 * (tokens, output ceiling, price) — with and without the token cache. {@code parseJsonVertx} is the
 * plain Vert.x parse, for the cost of the duplicate check.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class EstimateBench {
    private final OpenAiChat chat = new OpenAiChat();
    private Buffer body;
    private Estimator uncached;
    private Estimator cached;

    @Setup
    public void setUp() {
        body = Payloads.read("chat-2k.json");
        EstimationConfig config = new EstimationConfig(4096, false);
        uncached = new Estimator(Payloads.prices(), new TokenCounter(0), config);
        cached = new Estimator(Payloads.prices(), new TokenCounter(), config);
    }

    @Benchmark
    public Estimate parseAndEstimateUncached() {
        return uncached.estimate(chat.parse(RequestJson.parse(body)));
    }

    @Benchmark
    public Estimate parseAndEstimateCached() {
        return cached.estimate(chat.parse(RequestJson.parse(body)));
    }

    @Benchmark
    public JsonObject parseJsonOnly() {
        return RequestJson.parse(body);
    }

    @Benchmark
    public JsonObject parseJsonVertx() {
        return new JsonObject(body);
    }
}
