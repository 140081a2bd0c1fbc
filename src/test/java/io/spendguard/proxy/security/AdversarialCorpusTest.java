package io.spendguard.proxy.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.ProxyHarness;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * A seeded corpus of malformed and adversarial requests, for every route, against a live proxy:
 * broken and truncated JSON, wrong types, unknown and oversized models, duplicate keys, absurd
 * numbers, deep nesting, invalid UTF-8, spoofed headers and hostile request targets. Every answer
 * must be a 4xx in the provider's error shape; nothing may be reserved or forwarded, no key may
 * reach any log line, and the proxy must still serve an ordinary call afterwards.
 */
class AdversarialCorpusTest {
    static final String CLIENT_KEY = "sk-fuzz-client-secret-5555666677778888";
    static final String OPERATOR_KEY = "sk-fuzz-operator-secret-1111222233334444";
    private static final String SEED = "20261206";
    /** A valid body per route: each case breaks one of them. */
    private static final Map<String, String> VALID = Map.of(
            "/v1/chat/completions", "{\"model\":\"gpt-test\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
            "/v1/responses", "{\"model\":\"gpt-test\",\"max_output_tokens\":16,\"input\":\"hi\"}",
            "/v1/completions", "{\"model\":\"gpt-test\",\"max_tokens\":16,\"prompt\":\"hi\"}",
            "/v1/embeddings", "{\"model\":\"text-embedding-test\",\"input\":\"hi\"}",
            "/v1/messages", "{\"model\":\"claude-test\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    /** The field each route cannot do without, and a type it must refuse there. */
    private static final Map<String, String> REQUIRED = Map.of("/v1/chat/completions", "messages", "/v1/responses", "input",
            "/v1/completions", "prompt", "/v1/embeddings", "input", "/v1/messages", "messages");

    private static ProxyHarness h;
    private static final List<String> logs = new CopyOnWriteArrayList<>();
    private static final AtomicInteger sent = new AtomicInteger();
    private static final Map<Integer, AtomicInteger> statuses = new java.util.concurrent.ConcurrentHashMap<>();
    private static final Handler capture = new Handler() {
        private final SimpleFormatter format = new SimpleFormatter();

        @Override
        public void publish(LogRecord r) {
            StringWriter text = new StringWriter().append(format.format(r));
            if (r.getThrown() != null) {
                r.getThrown().printStackTrace(new PrintWriter(text));
            }
            logs.add(text.toString());
        }

        @Override
        public void flush() { }

        @Override
        public void close() { }
    };
    private static Level rootLevel;

    @BeforeContainer
    static void start() throws Exception {
        Logger root = Logger.getLogger("");
        rootLevel = root.getLevel();
        root.setLevel(Level.ALL);
        capture.setLevel(Level.ALL);
        root.addHandler(capture);
        h = ProxyHarness.start(ProxyHarness.config(1_000_000, "", "").replace("api_key: \"\"", "api_key: \"" + OPERATOR_KEY + "\""));
    }

    @AfterContainer
    static void stop() throws Exception {
        try {
            // Still alive, still serving: an ordinary call goes through and settles.
            double settled = h.settlements();
            String ok = RawHttp.send(h.server.port(), "POST", "/v1/chat/completions", "Authorization: Bearer " + CLIENT_KEY,
                    VALID.get("/v1/chat/completions"));
            assertThat(ok).startsWith("HTTP/1.1 200");
            ProxyHarness.await("the ordinary call settled", () -> h.settlements() == settled + 1);
            assertThat(logs).as("log lines").noneMatch(l -> l.contains(CLIENT_KEY) || l.contains(OPERATOR_KEY)
                    || l.contains("OutOfMemoryError"));
            System.out.println("adversarial corpus: " + sent.get() + " requests, statuses " + statuses);
        } finally {
            Logger root = Logger.getLogger("");
            root.removeHandler(capture);
            root.setLevel(rootLevel);
            h.close();
        }
    }

    @Property(tries = 600, seed = SEED, shrinking = ShrinkingMode.OFF)
    void aBrokenBodyIsRefusedWithA4xxAndNothingHappens(@ForAll("brokenCalls") Call call) throws Exception {
        assertRefused(call.route(), call.headers(), call.body());
    }

    @Property(tries = 300, seed = SEED, shrinking = ShrinkingMode.OFF)
    void aHostileTargetIsRefusedWithA4xxAndNothingHappens(@ForAll("hostileTargets") String target) throws Exception {
        String route = VALID.keySet().stream().filter(target::contains).findFirst().orElse("/v1/chat/completions");
        assertRefused(target, "Authorization: Bearer " + CLIENT_KEY, bytes(VALID.get(route)));
    }

    @Property(tries = 200, seed = SEED, shrinking = ShrinkingMode.OFF)
    void aSpoofedOrOversizedHeaderIsRefusedWithA4xxAndNothingHappens(@ForAll("hostileHeaders") Call call) throws Exception {
        assertRefused(call.route(), call.headers(), call.body());
    }

    private void assertRefused(String target, String headers, byte[] body) throws Exception {
        long served = h.mock.served();
        double reserved = h.counter("spendguard.reserved.usd.micros");
        long committed = h.budget("default").committedMicros();
        String reply = RawHttp.send(h.server.port(), "POST", target, headers, body);
        sent.incrementAndGet();

        assertThat(reply).as("a reply").startsWith("HTTP/1.1 4");
        int status = Integer.parseInt(reply.substring(9, 12));
        statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
        String json = reply.substring(reply.indexOf("\r\n\r\n") + 4);
        if (!json.isEmpty() || (status != 431 && status != 414)) {
            // Only the HTTP codec's own refusals of an oversized head come without the provider's error shape.
            JsonObject shaped = new JsonObject(json);
            assertThat(shaped.containsKey("error")).as(json).isTrue();
        }
        assertThat(json).doesNotContain(CLIENT_KEY).doesNotContain(OPERATOR_KEY);
        assertThat(h.mock.served()).as("forwarded").isEqualTo(served);
        assertThat(h.counter("spendguard.reserved.usd.micros")).as("reserved").isEqualTo(reserved);
        assertThat(h.budget("default").reservedMicros()).isZero();
        assertThat(h.budget("default").committedMicros()).isEqualTo(committed);
    }

    /** One request: where it goes, its header lines (each ending in CRLF but the last) and its body bytes. */
    record Call(String route, String headers, byte[] body) {
        @Override
        public String toString() {
            return route + " " + headers.replace("\r\n", " | ") + " " + new String(body, 0, Math.min(body.length, 200),
                    java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    @Provide
    Arbitrary<Call> brokenCalls() {
        Arbitrary<String> routes = Arbitraries.of(VALID.keySet().stream().sorted().toList());
        return routes.flatMap(route -> Arbitraries.oneOf(
                truncated(route), wrongType(route, "model"), wrongType(route, REQUIRED.get(route)), unknownModel(route),
                hugeModel(route), absurdNumber(route), deepNesting(route), invalidUtf8(route), notAnObject(route),
                duplicateKey(route), oversized(route)).map(body -> new Call(route, "Authorization: Bearer " + CLIENT_KEY, body)));
    }

    private static Arbitrary<byte[]> truncated(String route) {
        String valid = VALID.get(route);
        return Arbitraries.integers().between(0, valid.length() - 1).map(n -> bytes(valid.substring(0, n)));
    }

    private static Arbitrary<byte[]> wrongType(String route, String field) {
        Arbitrary<Object> wrong = Arbitraries.oneOf(Arbitraries.integers().map(i -> (Object) i), Arbitraries.just(true),
                Arbitraries.just(new JsonObject()), Arbitraries.just(new JsonArray().add(1).add(2)), Arbitraries.just(12.5));
        return wrong.map(v -> {
            JsonObject body = new JsonObject(VALID.get(route));
            if (field.equals("input") && v instanceof JsonArray) {
                v = new JsonArray().add(new JsonObject().put("x", 1));
            }
            return bytes(body.put(field, v).encode());
        });
    }

    private static Arbitrary<byte[]> unknownModel(String route) {
        return Arbitraries.strings().withChars("abcxyz0123456789-_.:/ ").ofMinLength(1).ofMaxLength(40)
                .map(m -> bytes(new JsonObject(VALID.get(route)).put("model", "zz" + m).encode()));
    }

    private static Arbitrary<byte[]> hugeModel(String route) {
        String base = route.equals("/v1/messages") ? "claude-test" : route.equals("/v1/embeddings") ? "text-embedding-test" : "gpt-test";
        return Arbitraries.integers().between(300, 40_000).map(n -> bytes(new JsonObject(VALID.get(route))
                .put("model", base + "z".repeat(n)).encode()));
    }

    private static Arbitrary<byte[]> absurdNumber(String route) {
        String field = route.equals("/v1/responses") ? "max_output_tokens" : route.equals("/v1/embeddings") ? "dimensions" : "max_tokens";
        // 0 is a valid max_tokens for legacy completions (with echo, it prices the prompt alone).
        return Arbitraries.of("-1", "1.5", "1e400", "99999999999999999999999999", "\"16\"", "[16]", "NaN")
                .map(n -> bytes(VALID.get(route).replaceFirst("^\\{", "{\"" + field + "\":" + n + ",")
                        .replaceFirst(",\"" + field + "\":16", "")));
    }

    private static Arbitrary<byte[]> deepNesting(String route) {
        return Arbitraries.integers().between(2_000, 20_000).map(depth -> bytes(
                "{\"model\":\"gpt-test\",\"" + REQUIRED.get(route) + "\":" + "[".repeat(depth) + "]".repeat(depth) + "}"));
    }

    private static Arbitrary<byte[]> invalidUtf8(String route) {
        return Arbitraries.of(new byte[] {(byte) 0xC3}, new byte[] {(byte) 0xFF, (byte) 0xFE}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                new byte[] {(byte) 0x80}).map(bad -> {
                    byte[] valid = bytes(VALID.get(route));
                    int at = VALID.get(route).indexOf("\"hi\"") + 2;
                    byte[] out = new byte[valid.length + bad.length];
                    System.arraycopy(valid, 0, out, 0, at);
                    System.arraycopy(bad, 0, out, at, bad.length);
                    System.arraycopy(valid, at, out, at + bad.length, valid.length - at);
                    return out;
                });
    }

    private static Arbitrary<byte[]> notAnObject(String route) {
        return Arbitraries.of("", " ", "null", "[]", "[" + VALID.get(route) + "]", "\"x\"", "42", "{}", "{\"model\":null}",
                VALID.get(route) + VALID.get(route), VALID.get(route) + "x", "\u0000" + VALID.get(route)).map(AdversarialCorpusTest::bytes);
    }

    private static Arbitrary<byte[]> duplicateKey(String route) {
        return Arbitraries.of(new JsonObject(VALID.get(route)).fieldNames().stream().sorted().toList()).map(key -> {
            String valid = VALID.get(route);
            String value = key.equals("model") ? "\"gpt-4o-mini\"" : key.equals("max_tokens") ? "1" : "\"x\"";
            return bytes(valid.substring(0, valid.length() - 1) + ",\"" + key + "\":" + value + "}");
        });
    }

    private static Arbitrary<byte[]> oversized(String route) {
        return Arbitraries.integers().between(70_000, 200_000).map(n -> bytes(new JsonObject(VALID.get(route))
                .put("pad", "x".repeat(n)).encode()));
    }

    @Provide
    Arbitrary<String> hostileTargets() {
        Arbitrary<String> route = Arbitraries.of(VALID.keySet().stream().sorted().toList());
        Arbitrary<String> junk = Arbitraries.strings().withChars("@\\%./:;?#&=~-_aZ9 \t").ofMinLength(1).ofMaxLength(12);
        Arbitrary<String> authority = Arbitraries.of("@127.0.0.1:1", "//127.0.0.1:1", "http://127.0.0.1:1", "x.evil://a",
                "@evil.example", "%2F%2Fevil", "/..", "/.", ";", "\\", "%2e%2e", "%40evil", "?x=@evil", "#x");
        return Combinators.combine(route, junk, authority, Arbitraries.integers().between(0, 3)).as((r, j, a, where) -> switch (where) {
            case 0 -> a + r;
            case 1 -> r + a;
            case 2 -> r.substring(0, r.lastIndexOf('/')) + a + r.substring(r.lastIndexOf('/'));
            default -> a + j + r;
        }).filter(t -> !t.contains(" ") && !t.contains("\t")); // whitespace ends the target: a different request
    }

    @Provide
    Arbitrary<Call> hostileHeaders() {
        Arbitrary<String> route = Arbitraries.of(VALID.keySet().stream().sorted().toList());
        Arbitrary<String> lines = Arbitraries.oneOf(
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20).map(b -> "X-SpendGuard-Budget-Id: " + b),
                Arbitraries.integers().between(257, 4_000).map(n -> "Idempotency-Key: " + "k".repeat(n)),
                Arbitraries.of("Content-Length: abc", "Content-Length: -1", "Content-Encoding: gzip", "Content-Encoding: br"),
                Arbitraries.integers().between(70_000, 100_000).map(n -> "X-Pad: " + "p".repeat(n)));
        return Combinators.combine(route, lines).as((r, line) -> new Call(r, "Authorization: Bearer " + CLIENT_KEY + "\r\n" + line,
                bytes(VALID.get(r))));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
