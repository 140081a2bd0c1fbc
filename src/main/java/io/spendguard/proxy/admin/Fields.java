package io.spendguard.proxy.admin;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.spendguard.proxy.config.Ids;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads admin request bodies exactly. Numbers are kept as written — an integer too large for 64 bits
 * stays a {@link BigInteger} and a number with a fraction or exponent stays a {@link BigDecimal} —
 * so that a field is checked against its range instead of being wrapped or rounded on the way in
 * ({@code 18446744073709551716} is refused, not stored as 100; {@code 1e308} is refused, not clamped).
 * A key given twice, an unknown key, or anything after the object is refused too. Every refusal is
 * an {@link IllegalArgumentException} whose message names the field and what was expected.
 */
final class Fields {
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    /** The longest name kept from an admin body (key names, model names). */
    static final int MAX_NAME = 256;
    /** The longest free text kept from an admin body (an approval's reason). */
    static final int MAX_TEXT = 1024;

    private Fields() {
    }

    /** The body as a JSON object with its numbers as written; throws naming what is wrong. */
    static JsonObject object(Buffer body) {
        Object parsed;
        try {
            parsed = body == null || body.length() == 0 ? null : JSON.readValue(body.getBytes(), Object.class);
        } catch (JacksonException e) {
            String key = e.getProcessor() instanceof JsonParser p && p.getParsingContext() != null
                    ? p.getParsingContext().getCurrentName() : null;
            if (key != null && String.valueOf(e.getOriginalMessage()).startsWith("Duplicate")) {
                throw new IllegalArgumentException((Ids.valid(key) ? key : Ids.shown(key)) + ": given twice (expected: each field once)");
            }
            throw new IllegalArgumentException("the body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("the body is not valid JSON");
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("expected a JSON object body");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = (Map<String, Object>) map;
        return new JsonObject(fields);
    }

    /** Refuses any key of {@code o} not in {@code known}; {@code prefix} names the enclosing object ("" at the top). */
    static void only(JsonObject o, String prefix, String... known) {
        Set<String> allowed = Set.of(known);
        for (String key : o.fieldNames()) {
            if (!allowed.contains(key)) {
                throw new IllegalArgumentException(prefix + Ids.shown(key) + ": unknown field (expected one of: "
                        + String.join(", ", new TreeSet<>(allowed)) + ")");
            }
        }
    }

    /**
     * The whole number at {@code key} within {@code [min, max]}; {@code def} when absent or null
     * (null {@code def}: required). A fraction, an exponent, a string or a value out of range is refused.
     */
    static Long wholeNumber(JsonObject o, String key, long min, long max, Long def) {
        Object v = o.getValue(key);
        String expected = "(expected: a whole number from " + min + " to " + max + ")";
        if (v == null) {
            if (def == null) {
                throw new IllegalArgumentException(key + ": missing " + expected);
            }
            return def;
        }
        // Integer and Long are what fits in 64 bits; BigInteger is a larger integer, BigDecimal a fraction or exponent.
        if (!(v instanceof Integer || v instanceof Long)) {
            throw new IllegalArgumentException(key + ": " + shown(v) + " " + expected);
        }
        long n = ((Number) v).longValue();
        if (n < min || n > max) {
            throw new IllegalArgumentException(key + ": " + n + " " + expected);
        }
        return n;
    }

    /** A ratio in {@code [0, 1]} at {@code key}, or null when absent or null. */
    static BigDecimal ratio(JsonObject o, String key) {
        Object v = o.getValue(key);
        if (v == null) {
            return null;
        }
        BigDecimal r = v instanceof BigDecimal d ? d
                : v instanceof Integer || v instanceof Long ? BigDecimal.valueOf(((Number) v).longValue()) : null;
        if (r == null || r.signum() < 0 || r.compareTo(BigDecimal.ONE) > 0) {
            throw new IllegalArgumentException(key + ": " + shown(v) + " (expected: a number from 0 to 1)");
        }
        return r;
    }

    /** The id at {@code key} in the id grammar ({@link Ids}); {@code def} when absent (null {@code def}: required). */
    static String id(JsonObject o, String key, String def) {
        Object v = o.getValue(key);
        if (v == null && def != null) {
            return def;
        }
        if (!(v instanceof String s) || !Ids.valid(s)) {
            throw new IllegalArgumentException(key + ": " + (v == null ? "missing" : shown(v)) + " (expected: " + Ids.EXPECTED + ")");
        }
        return s;
    }

    /**
     * Text at {@code key}, at most {@code max} characters and without control characters (it is kept in
     * audit records and shown in listings); {@code def} when absent or null (null {@code def}: required).
     */
    static String text(JsonObject o, String key, int max, String def) {
        Object v = o.getValue(key);
        if (v == null && def != null) {
            return def;
        }
        if (!(v instanceof String s) || s.length() > max || s.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException(key + ": " + (v == null ? "missing" : shown(v)) + " (expected: a string of at most "
                    + max + " characters, no control characters)");
        }
        return s;
    }

    /** A value as a refusal may echo it: a number or boolean as written (cut at 64 characters), a string quoted, else its kind. */
    private static String shown(Object v) {
        if (v instanceof Number || v instanceof Boolean) {
            String s = v instanceof BigDecimal d ? d.toString() : v.toString();
            return s.length() > 64 ? s.substring(0, 64) + "…" : s;
        }
        if (v instanceof String s) {
            return Ids.shown(s);
        }
        return v instanceof JsonObject ? "an object" : "an array";
    }
}
