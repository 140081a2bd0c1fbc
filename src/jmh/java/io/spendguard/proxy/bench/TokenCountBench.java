package io.spendguard.proxy.bench;

import io.spendguard.proxy.estimate.TokenCounter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Token counting on the load test's chat prompt (its message contents, ~2 KB): the BPE itself (no
 * cache) and a repeated prompt (cached, as agents resend history); the {@code tokens} counter gives tokens/s.
 * {@code spacelessWord} is the pathological input: one 1 MiB word with no space, which BPE took 1.6 s
 * over before long runs were counted by their bytes.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class TokenCountBench {
    @Param({"o200k_base", "cl100k_base"})
    public String encoding;

    private String[] texts;
    private TokenCounter uncached;
    private TokenCounter cached;
    private String spacelessWord;

    /** Tokens counted, reported by JMH as a rate next to the operations. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Tokens {
        public long tokens;

        @Setup(Level.Iteration)
        public void reset() {
            tokens = 0;
        }
    }

    @Setup
    public void setUp() {
        JsonArray messages = new JsonObject(Payloads.read("chat-2k.json")).getJsonArray("messages");
        texts = new String[messages.size()];
        for (int i = 0; i < texts.length; i++) {
            texts[i] = messages.getJsonObject(i).getString("content");
        }
        uncached = new TokenCounter(0);
        cached = new TokenCounter();
        spacelessWord = "z".repeat(1024 * 1024);
    }

    @Benchmark
    public int spacelessWord(Tokens counter) {
        int n = uncached.count(encoding, spacelessWord);
        counter.tokens += n;
        return n;
    }

    @Benchmark
    public int promptUncached(Tokens counter) {
        return count(uncached, counter);
    }

    @Benchmark
    public int promptCached(Tokens counter) {
        return count(cached, counter);
    }

    private int count(TokenCounter tokens, Tokens counter) {
        int n = 0;
        for (String text : texts) {
            // a fresh String each time, as each request's JSON parse produces one
            n += tokens.count(encoding, new String(text));
        }
        counter.tokens += n;
        return n;
    }
}
