package io.spendguard.proxy.bench;

import io.spendguard.proxy.config.ProxyConfig.EstimationConfig;
import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.Estimate;
import io.spendguard.proxy.estimate.Estimator;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.provider.RequestJson;
import io.spendguard.proxy.provider.openai.OpenAiChat;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
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
 * An agent's conversation as it grows: a system prompt, three tool definitions and a task, then per
 * step the assistant's note with a tool call and the tool's output (2–4 KB of code, as a file read
 * returns). Every request resends the whole history; step 20's body is ~80 KB. Each invocation is
 * step 20 with a last step of its own (its number written into the step's texts, so they are new to
 * the cache) after the same 19 steps, as a loop's next request is: {@code step20Cached} is the claim
 * with the token cache warm from steps 1–19, {@code step20Uncached} with no cache,
 * {@code step20ParseOnly} the body's parse and read alone (no counting), and {@code lastStepTexts}
 * BPE over only the new step's texts: the cached claim's floor is the parse plus that.
 * Run with {@code -prof io.spendguard.proxy.bench.ThreadCpuProfiler} on a shared machine.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class ConversationBench {
    static final int STEPS = 20;
    private static final String[] WORDS = ("the a of to and in is that for it on with as be this by are from or at "
            + "an not we can should will but if when which file test call order invoice retry lock thread state value "
            + "method class returns null error handler request reply budget ledger stream event parse check case guard "
            + "timeout config path name list map key count token cache limit payload server client update change fix").split(" ");
    private static final String[] TYPES = {"String", "int", "long", "Invoice", "Order", "List<Line>", "Map<String, Long>",
        "Future<Void>", "Optional<Reply>", "boolean"};

    /** Marks where each request writes its own number into the last step, so that step's texts are new every time. */
    private static final String MARK = "#########";

    private final OpenAiChat chat = new OpenAiChat();
    private Estimator cached;
    private Estimator uncached;
    private TokenCounter bpe;
    private byte[] template;
    private int[] marks;
    private List<String> lastStepTexts;
    private int request;

    @Setup
    public void setUp() {
        EstimationConfig config = new EstimationConfig(4096, false);
        cached = new Estimator(Payloads.prices(), new TokenCounter(), config);
        uncached = new Estimator(Payloads.prices(), new TokenCounter(0), config);
        bpe = new TokenCounter(0);
        JsonObject body = start(new Random(1));
        JsonArray messages = body.getJsonArray("messages");
        for (int step = 1; step < STEPS; step++) {
            messages.addAll(step(new Random(100 + step), step, ""));
            cached.estimate(chat.parse(RequestJson.parse(body.toBuffer())));
        }
        JsonArray last = step(new Random(100 + STEPS), STEPS, MARK);
        lastStepTexts = chat.parse(new JsonObject().put("model", "gpt-4o-mini").put("messages", last)).texts();
        messages.addAll(last);
        template = body.toBuffer().getBytes();
        String text = new String(template, StandardCharsets.ISO_8859_1);
        marks = IntStream.iterate(text.indexOf(MARK), i -> i >= 0, i -> text.indexOf(MARK, i + 1)).toArray();
    }

    /** Step 20: the 19 steps before it as always, and a last step whose texts no request has had yet. */
    private Buffer nextRequest() {
        byte[] body = template.clone();
        byte[] number = String.format("%09d", request++).getBytes(StandardCharsets.US_ASCII);
        for (int at : marks) {
            System.arraycopy(number, 0, body, at, number.length);
        }
        return Buffer.buffer(body);
    }

    @Benchmark
    public Estimate step20Cached() {
        return cached.estimate(chat.parse(RequestJson.parse(nextRequest())));
    }

    @Benchmark
    public Estimate step20Uncached() {
        return uncached.estimate(chat.parse(RequestJson.parse(nextRequest())));
    }

    @Benchmark
    public CallSpec step20ParseOnly() {
        return chat.parse(RequestJson.parse(nextRequest()));
    }

    @Benchmark
    public long lastStepTexts() {
        long n = 0;
        for (String text : lastStepTexts) {
            n += bpe.count("o200k_base", new String(text.toCharArray()));
        }
        return n;
    }

    private static JsonObject start(Random r) {
        JsonArray tools = new JsonArray();
        for (String name : new String[] {"read_file", "run_tests", "search_code"}) {
            tools.add(new JsonObject().put("type", "function").put("function", new JsonObject()
                    .put("name", name).put("description", prose(r, 200))
                    .put("parameters", new JsonObject().put("type", "object")
                            .put("properties", new JsonObject().put("path", new JsonObject().put("type", "string")
                                    .put("description", prose(r, 80))))
                            .put("required", new JsonArray().add("path")))));
        }
        JsonArray messages = new JsonArray()
                .add(new JsonObject().put("role", "system").put("content", prose(r, 1500)))
                .add(new JsonObject().put("role", "user").put("content", prose(r, 500)));
        return new JsonObject().put("model", "gpt-4o-mini").put("max_tokens", 1024).put("tools", tools).put("messages", messages);
    }

    /** One step: the assistant's note and tool call, and the tool's output (2–4 KB of code); {@code mark} starts each text. */
    private static JsonArray step(Random r, int step, String mark) {
        String id = "call_" + mark + Long.toString(Math.abs(r.nextLong()), 36) + Long.toString(Math.abs(r.nextLong()), 36);
        String path = "src/main/java/com/acme/billing/" + identifier(r, true) + step + ".java";
        JsonObject call = new JsonObject().put("id", id).put("type", "function").put("function",
                new JsonObject().put("name", "read_file").put("arguments", new JsonObject().put("path", path).encode()));
        return new JsonArray()
                .add(new JsonObject().put("role", "assistant").put("content", mark + prose(r, 200 + r.nextInt(300)))
                        .put("tool_calls", new JsonArray().add(call)))
                .add(new JsonObject().put("role", "tool").put("tool_call_id", id).put("content", mark + code(r, 2048 + r.nextInt(2048))));
    }

    private static String prose(Random r, int chars) {
        StringBuilder s = new StringBuilder(chars + 16);
        while (s.length() < chars) {
            s.append(WORDS[r.nextInt(WORDS.length)]);
            s.append(r.nextInt(12) == 0 ? ". " : r.nextInt(10) == 0 ? ", " : " ");
        }
        return s.toString();
    }

    private static String code(Random r, int chars) {
        StringBuilder s = new StringBuilder(chars + 128);
        int line = 1 + r.nextInt(200);
        while (s.length() < chars) {
            s.append(line++).append("\t");
            switch (r.nextInt(4)) {
                case 0 -> s.append("    private final ").append(TYPES[r.nextInt(TYPES.length)]).append(' ')
                        .append(identifier(r, false)).append(";\n");
                case 1 -> s.append("        if (").append(identifier(r, false)).append(" == null || ")
                        .append(identifier(r, false)).append(".size() > ").append(r.nextInt(10_000)).append(") {\n");
                case 2 -> s.append("        return ").append(identifier(r, false)).append('.').append(identifier(r, false))
                        .append("(\"").append(prose(r, 20).trim()).append("\", ").append(r.nextInt(100)).append(");\n");
                default -> s.append("        // ").append(prose(r, 40 + r.nextInt(40)).trim()).append('\n');
            }
        }
        return s.toString();
    }

    private static String identifier(Random r, boolean type) {
        String first = WORDS[r.nextInt(WORDS.length)];
        String second = WORDS[r.nextInt(WORDS.length)];
        String head = type ? Character.toUpperCase(first.charAt(0)) + first.substring(1) : first;
        return head + Character.toUpperCase(second.charAt(0)) + second.substring(1);
    }
}
