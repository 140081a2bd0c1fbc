package io.spendguard.proxy.provider;

import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.estimate.Usage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** Typed reads of request fields; a wrong type is a 400 naming the field. */
final class Fields {
    static final int MAX_MODEL_BYTES = 256;

    private Fields() { }

    static ProxyException invalid(String param, String message) {
        return ProxyError.INVALID_REQUEST.exception(message).param(param);
    }

    /**
     * The required {@code model} of a request body, at most {@value #MAX_MODEL_BYTES} UTF-8 bytes: the
     * name is kept in every decision, audit record and access-log line of the call, and no provider's
     * model names come near that length.
     */
    static String model(JsonObject body) {
        String model = requiredString(body, "model", "model");
        if (model.length() > MAX_MODEL_BYTES || model.getBytes(StandardCharsets.UTF_8).length > MAX_MODEL_BYTES) {
            throw invalid("model", "'model' is longer than " + MAX_MODEL_BYTES + " bytes.");
        }
        return model;
    }

    /** The optional {@code stream} flag of a request body (false when absent). */
    static boolean stream(JsonObject body) {
        return optionalBool(body, "stream", "stream", false);
    }

    static String requiredString(JsonObject o, String key, String path) {
        Object v = o.getValue(key);
        if (!(v instanceof String s) || s.isBlank()) {
            throw invalid(path, "'" + path + "' is required and must be a non-empty string.");
        }
        return s;
    }

    static String optionalString(JsonObject o, String key, String path) {
        Object v = o.getValue(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw invalid(path, "'" + path + "' must be a string.");
        }
        return s;
    }

    static boolean optionalBool(JsonObject o, String key, String path, boolean def) {
        Object v = o.getValue(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Boolean b)) {
            throw invalid(path, "'" + path + "' must be a boolean.");
        }
        return b;
    }

    /** An optional whole number >= {@code min}; null when absent. */
    static Integer optionalInt(JsonObject o, String key, String path, int min) {
        Object v = o.getValue(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
                || n.doubleValue() > Integer.MAX_VALUE || n.doubleValue() < Integer.MIN_VALUE) {
            throw invalid(path, "'" + path + "' must be an integer.");
        }
        if (n.intValue() < min) {
            throw invalid(path, "'" + path + "' must be >= " + min + ".");
        }
        return n.intValue();
    }

    static JsonArray requiredArray(JsonObject o, String key, String path) {
        Object v = o.getValue(key);
        if (!(v instanceof JsonArray a) || a.isEmpty()) {
            throw invalid(path, "'" + path + "' is required and must be a non-empty array.");
        }
        return a;
    }

    static JsonArray optionalArray(JsonObject o, String key, String path) {
        Object v = o.getValue(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof JsonArray a)) {
            throw invalid(path, "'" + path + "' must be an array.");
        }
        return a;
    }

    static JsonObject optionalObject(JsonObject o, String key, String path) {
        Object v = o.getValue(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof JsonObject j)) {
            throw invalid(path, "'" + path + "' must be an object.");
        }
        return j;
    }

    static JsonObject objectAt(JsonArray a, int i, String path) {
        Object v = a.getValue(i);
        if (!(v instanceof JsonObject j)) {
            throw invalid(path + "[" + i + "]", "'" + path + "[" + i + "]' must be an object.");
        }
        return j;
    }

    /** Passes {@code value} on when it is a string (stream events are read leniently, never rejected). */
    static void ifString(Object value, Consumer<String> out) {
        if (value instanceof String s) {
            out.accept(s);
        }
    }

    /** A string that must be present but may be empty (a text part may carry no text). */
    static String requiredText(JsonObject o, String key, String path) {
        Object v = o.getValue(key);
        if (!(v instanceof String s)) {
            throw invalid(path, "'" + path + "' is required and must be a string.");
        }
        return s;
    }

    /**
     * A token count from a usage block: 0 when absent (or null), {@link Usage#UNREADABLE} when present
     * but not a whole, non-negative number that fits a {@code long} (a string, 1.5, -3, 1e30): such a
     * count is never read as some other number.
     */
    static long count(JsonObject o, String key) {
        Object v = o == null ? null : o.getValue(key);
        if (v == null) {
            return 0;
        }
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            long n = ((Number) v).longValue();
            return n >= 0 ? n : Usage.UNREADABLE;
        }
        if (v instanceof Number n) {
            BigDecimal d;
            try {
                d = new BigDecimal(n.toString());
            } catch (NumberFormatException e) {
                return Usage.UNREADABLE;  // NaN, Infinity
            }
            if (d.signum() < 0 || d.compareTo(MAX_COUNT) > 0 || d.stripTrailingZeros().scale() > 0) {
                return Usage.UNREADABLE;
            }
            return d.longValueExact();
        }
        return Usage.UNREADABLE;
    }

    private static final BigDecimal MAX_COUNT = BigDecimal.valueOf(Long.MAX_VALUE);
}
