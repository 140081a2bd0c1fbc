package io.spendguard.proxy.provider;

import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.estimate.Usage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

/**
 * Typed reads of request fields; a wrong type is a 400 naming the field. Public because every API shape
 * reads its body through it, in {@code provider.openai} and {@code provider.anthropic} alike: one set of
 * rules and one wording for a refused field, whichever provider the call is for.
 */
public final class Fields {
    static final int MAX_MODEL_BYTES = 256;

    private Fields() { }

    /** The {@code 400 invalid_request} naming {@code param}, for a field a shape refuses. */
    public static ProxyException invalid(String param, String message) {
        return ProxyError.INVALID_REQUEST.exception(message).param(param);
    }

    /**
     * The required {@code model} of a request body, at most {@value #MAX_MODEL_BYTES} UTF-8 bytes: the
     * name is kept in every decision, audit record and access-log line of the call, and no provider's
     * model names come near that length.
     */
    public static String model(JsonObject body) {
        String model = requiredString(body, "model", "model");
        if (model.length() > MAX_MODEL_BYTES || model.getBytes(StandardCharsets.UTF_8).length > MAX_MODEL_BYTES) {
            throw invalid("model", "'model' is longer than " + MAX_MODEL_BYTES + " bytes.");
        }
        return model;
    }

    /** The optional {@code stream} flag of a request body (false when absent). */
    public static boolean stream(JsonObject body) {
        return optionalBool(body, "stream", "stream", false);
    }

    /** A required, non-blank string at {@code key}; {@code path} names it in the error. */
    public static String requiredString(JsonObject o, String key, String path) {
        Object v = o.getValue(key);
        if (!(v instanceof String s) || s.isBlank()) {
            throw invalid(path, "'" + path + "' is required and must be a non-empty string.");
        }
        return s;
    }

    /** An optional string at {@code key}; null when absent. */
    public static String optionalString(JsonObject o, String key, String path) {
        Object v = o.getValue(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw invalid(path, "'" + path + "' must be a string.");
        }
        return s;
    }

    /** An optional boolean at {@code key}; {@code def} when absent. */
    public static boolean optionalBool(JsonObject o, String key, String path, boolean def) {
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
    public static Integer optionalInt(JsonObject o, String key, String path, int min) {
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

    /** A required, non-empty array at {@code key}. */
    public static JsonArray requiredArray(JsonObject o, String key, String path) {
        Object v = o.getValue(key);
        if (!(v instanceof JsonArray a) || a.isEmpty()) {
            throw invalid(path, "'" + path + "' is required and must be a non-empty array.");
        }
        return a;
    }

    /** An optional array at {@code key}; null when absent. */
    public static JsonArray optionalArray(JsonObject o, String key, String path) {
        Object v = o.getValue(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof JsonArray a)) {
            throw invalid(path, "'" + path + "' must be an array.");
        }
        return a;
    }

    /** An optional object at {@code key}; null when absent. */
    public static JsonObject optionalObject(JsonObject o, String key, String path) {
        Object v = o.getValue(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof JsonObject j)) {
            throw invalid(path, "'" + path + "' must be an object.");
        }
        return j;
    }

    /** Element {@code i} of {@code a}, which must be an object; the error names it as {@code path[i]}. */
    public static JsonObject objectAt(JsonArray a, int i, String path) {
        Object v = a.getValue(i);
        if (!(v instanceof JsonObject j)) {
            throw invalid(path + "[" + i + "]", "'" + path + "[" + i + "]' must be an object.");
        }
        return j;
    }

    /** A string that must be present but may be empty (a text part may carry no text). */
    public static String requiredText(JsonObject o, String key, String path) {
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
    public static long count(JsonObject o, String key) {
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
