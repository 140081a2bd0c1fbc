package io.spendguard.proxy.forward;

import io.spendguard.proxy.bench.Payloads;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.provider.openai.OpenAiChat;
import io.spendguard.proxy.provider.StreamScanner;
import io.vertx.core.buffer.Buffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SSE usage scanning as the relay does it: the load test's 50-chunk chat stream (13 KB) cut into
 * events and each event read by the chat scanner (the deltas kept, the usage chunk found and
 * dropped), arriving in network-sized pieces. {@code scanStream} ends with the usage, as a stream
 * that completes does; {@code scanCutStream} then also counts the output seen, as a stream cut short
 * is billed.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class SseScanBench {
    @Param({"1460", "16384"})
    public int pieceBytes;

    private final OpenAiChat chat = new OpenAiChat();
    private final TokenCounter tokens = new TokenCounter();
    private Buffer[] pieces;

    @Setup
    public void setUp() {
        Buffer stream = Payloads.read("reply-50.sse");
        int n = (stream.length() + pieceBytes - 1) / pieceBytes;
        pieces = new Buffer[n];
        for (int i = 0; i < n; i++) {
            pieces[i] = stream.getBuffer(i * pieceBytes, Math.min(stream.length(), (i + 1) * pieceBytes));
        }
    }

    @Benchmark
    public long scanStream() {
        StreamScanner scanner = scan();
        return scanner.usage().output();
    }

    @Benchmark
    public long scanCutStream() {
        return scan().outputTokensSeen();
    }

    private StreamScanner scan() {
        StreamScanner scanner = chat.scanner(tokens, "o200k_base", true);
        SseSplitter splitter = new SseSplitter();
        for (Buffer piece : pieces) {
            splitter.feed(piece, scanner::onEvent);
        }
        if (scanner.usage() == null) {
            throw new IllegalStateException("usage not found");
        }
        return scanner;
    }
}
