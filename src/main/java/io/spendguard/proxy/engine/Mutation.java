package io.spendguard.proxy.engine;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * What a DEGRADE decision changes in a request before it is forwarded: the model, the output
 * limit (written to whichever field the API uses), the temperature. Null fields stay as sent.
 * On the sidecar protocol it travels as {@code mutation_patch_json}, an RFC 6902 patch restricted to
 * {@code replace}/{@code add} on {@code /model}, {@code /max_tokens}, {@code /max_output_tokens},
 * {@code /max_completion_tokens} and {@code /temperature}.
 */
public record Mutation(String model, Integer maxOutputTokens, Double temperature) {

    public boolean isEmpty() {
        return model == null && maxOutputTokens == null && temperature == null;
    }

    /** What changed, for the {@code X-SpendGuard-Degraded} header, e.g. {@code model=gpt-4o-mini}. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (model != null) {
            parts.add("model=" + model);
        }
        if (maxOutputTokens != null) {
            parts.add("max_output_tokens=" + maxOutputTokens);
        }
        if (temperature != null) {
            parts.add("temperature=" + temperature);
        }
        return String.join("; ", parts);
    }

    /** This mutation as the sidecar protocol's JSON patch. */
    public String toPatch() {
        JsonArray ops = new JsonArray();
        if (model != null) {
            ops.add(op("/model", model));
        }
        if (maxOutputTokens != null) {
            ops.add(op("/max_tokens", maxOutputTokens));
        }
        if (temperature != null) {
            ops.add(op("/temperature", temperature));
        }
        return ops.encode();
    }

    private static JsonObject op(String path, Object value) {
        return new JsonObject().put("op", "replace").put("path", path).put("value", value);
    }

    /**
     * Reads a {@code mutation_patch_json}; null for an empty patch. Anything outside the supported
     * subset fails with {@link IllegalArgumentException}: a change the proxy cannot make must not be
     * silently dropped.
     */
    public static Mutation fromPatch(String json) {
        if (json == null || json.isBlank()) {
            return null;
        }
        JsonArray ops;
        try {
            ops = new JsonArray(json);
        } catch (DecodeException e) {
            throw new IllegalArgumentException("mutation patch is not a JSON array");
        }
        String model = null;
        Integer max = null;
        Double temperature = null;
        for (Object o : ops) {
            if (!(o instanceof JsonObject op) || !("replace".equals(op.getValue("op")) || "add".equals(op.getValue("op")))) {
                throw new IllegalArgumentException("mutation patch: only replace/add operations are supported: " + o);
            }
            Object value = op.getValue("value");
            String path = String.valueOf(op.getValue("path"));
            switch (path) {
                case "/model" -> model = value instanceof String m && !m.isBlank() ? m : invalid(path, value);
                case "/max_tokens", "/max_output_tokens", "/max_completion_tokens" ->
                        max = value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.longValue() >= 1
                                && n.longValue() <= Integer.MAX_VALUE ? n.intValue() : invalid(path, value);
                case "/temperature" -> temperature = value instanceof Number n ? n.doubleValue() : invalid(path, value);
                default -> throw new IllegalArgumentException("mutation patch: unsupported path " + path);
            }
        }
        Mutation m = new Mutation(model, max, temperature);
        return m.isEmpty() ? null : m;
    }

    private static <T> T invalid(String path, Object value) {
        throw new IllegalArgumentException("mutation patch: invalid value for " + path + ": " + value);
    }
}
