package io.spendguard.proxy.provider;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The tool calls in one request's own history, gathered while an API shape parses the body, and how
 * often the most repeated one appears: an agent stuck in a loop sends the same call (same tool name,
 * same arguments) again and again. Arguments compare as parsed JSON — key order, whitespace and the
 * spelling of a number ({@code 1}, {@code 1.0}, {@code 1e0}) make no difference — by the SHA-256 of a
 * canonical form (object keys sorted, every value typed and length-prefixed), so two calls count as
 * one only when their name and arguments are the same JSON.
 *
 * <p>The work is bounded whatever the history holds: only the first {@value #MAX_CALLS} calls count,
 * so the table of digests never holds more than that many entries; an arguments string longer than
 * {@value #MAX_PARSED_CHARS} characters, or one that is not JSON, is compared as its raw text instead
 * of being parsed. Already-parsed arguments (Anthropic's {@code input} object) are part of the body
 * that was read, so hashing them costs no more than the body's own size.
 */
public final class ToolCalls {
    /** Tool calls considered per request; later ones are not counted. */
    public static final int MAX_CALLS = 10_000;
    /** Longest arguments string (in characters) parsed as JSON; a longer one is compared raw. */
    public static final int MAX_PARSED_CHARS = 64 * 1024;

    private static final JsonFactory ARGUMENTS = JsonFactory.builder().build();

    private static final byte NAME = 'N';
    private static final byte RAW = 'R';
    private static final byte JSON = 'J';
    private static final byte OBJECT = '{';
    private static final byte ARRAY = '[';
    private static final byte STRING = 's';
    private static final byte NUMBER = 'n';
    private static final byte TRUE = 't';
    private static final byte FALSE = 'f';
    private static final byte NULL = 'z';

    private Map<Digest, int[]> counts;
    private MessageDigest sha;
    private final byte[] lengthBytes = new byte[Integer.BYTES];
    private int considered;
    private int mostRepeated;

    /**
     * A call whose arguments are a JSON-encoded string (OpenAI {@code function.arguments}): parsed and
     * compared as JSON when it is at most {@value #MAX_PARSED_CHARS} characters and parses, else
     * compared as raw text. Arguments that are not a string (a lenient client sending an object) are
     * compared as the JSON they are; absent arguments as the empty string.
     */
    public void encodedArguments(String name, Object arguments) {
        if (!admit(name)) {
            return;
        }
        if (arguments == null) {
            raw("");
        } else if (arguments instanceof String s) {
            Object parsed = s.length() <= MAX_PARSED_CHARS ? parse(s) : Unparsed.INSTANCE;
            if (parsed == Unparsed.INSTANCE) {
                raw(s);
            } else {
                json(parsed);
            }
        } else {
            json(arguments);
        }
        count();
    }

    /** A call whose arguments are already JSON (Anthropic {@code tool_use.input}); absent is {@code {}}. */
    public void parsedArguments(String name, Object input) {
        if (!admit(name)) {
            return;
        }
        json(input == null ? new JsonObject() : input);
        count();
    }

    /** A call whose input is free text, not JSON (OpenAI custom tools): compared as raw text. */
    public void textInput(String name, String input) {
        if (!admit(name)) {
            return;
        }
        raw(input == null ? "" : input);
        count();
    }

    /** How many times the most repeated call appears: 0 with no calls, 1 when every call is distinct. */
    public int mostRepeated() {
        return mostRepeated;
    }

    /** Distinct calls seen among those counted (at most {@value #MAX_CALLS}). */
    int distinct() {
        return counts == null ? 0 : counts.size();
    }

    /** Starts the digest of one call, or false when the call is not counted (no name, or past the cap). */
    private boolean admit(String name) {
        if (name == null || considered >= MAX_CALLS) {
            return false;
        }
        if (sha == null) {
            sha = sha256();
            counts = new HashMap<>();
        }
        considered++;
        sha.update(NAME);
        text(name);
        return true;
    }

    private void count() {
        Digest key = new Digest(sha.digest());
        int n = ++counts.computeIfAbsent(key, k -> new int[1])[0];
        mostRepeated = Math.max(mostRepeated, n);
    }

    private void raw(String text) {
        sha.update(RAW);
        text(text);
    }

    private void json(Object value) {
        sha.update(JSON);
        value(value);
    }

    private void value(Object v) {
        if (v instanceof JsonObject o) {
            v = o.getMap();
        } else if (v instanceof JsonArray a) {
            v = a.getList();
        }
        if (v instanceof Map<?, ?> m) {
            List<String> keys = new ArrayList<>(m.size());
            for (Object k : m.keySet()) {
                keys.add(String.valueOf(k));
            }
            keys.sort(null);
            sha.update(OBJECT);
            length(keys.size());
            for (String k : keys) {
                text(k);
                value(m.get(k));
            }
        } else if (v instanceof List<?> l) {
            sha.update(ARRAY);
            length(l.size());
            for (Object x : l) {
                value(x);
            }
        } else if (v instanceof String s) {
            sha.update(STRING);
            text(s);
        } else if (v instanceof Number n) {
            sha.update(NUMBER);
            text(number(n));
        } else if (v instanceof Boolean b) {
            sha.update(b ? TRUE : FALSE);
        } else if (v == null) {
            sha.update(NULL);
        } else {
            sha.update(STRING);
            text(v.toString());
        }
    }

    /** One spelling per numeric value: 1, 1.0, 1e0 and 10E-1 all read {@code 1}. */
    static String number(Number n) {
        BigDecimal d;
        if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte) {
            d = BigDecimal.valueOf(n.longValue());
        } else if (n instanceof BigInteger b) {
            d = new BigDecimal(b);
        } else if (n instanceof BigDecimal b) {
            d = b;
        } else {
            double x = n.doubleValue();
            if (!Double.isFinite(x)) {
                return Double.toString(x);
            }
            d = new BigDecimal(Double.toString(x));
        }
        return d.signum() == 0 ? "0" : d.stripTrailingZeros().toString();
    }

    private void text(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        length(bytes.length);
        sha.update(bytes);
    }

    private void length(int n) {
        lengthBytes[0] = (byte) (n >>> 24);
        lengthBytes[1] = (byte) (n >>> 16);
        lengthBytes[2] = (byte) (n >>> 8);
        lengthBytes[3] = (byte) n;
        sha.update(lengthBytes);
    }

    /** The JSON value of {@code text}, or {@link Unparsed#INSTANCE} when it is not one JSON value. */
    private static Object parse(String text) {
        try (JsonParser parser = ARGUMENTS.createParser(text)) {
            return JacksonCodec.fromParser(parser, Object.class);
        } catch (IOException | RuntimeException e) {  // DecodeException, or a limit of Jackson's reached
            return Unparsed.INSTANCE;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** Marks arguments that did not parse (null is a valid parse: the text {@code null}). */
    private enum Unparsed { INSTANCE }

    /** A call's SHA-256, as a map key. */
    private record Digest(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Digest d && MessageDigest.isEqual(bytes, d.bytes);
        }

        @Override
        public int hashCode() {
            return (bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8 | (bytes[3] & 0xff);
        }

        @Override
        public String toString() {
            return HexFormat.of().formatHex(bytes);
        }
    }
}
