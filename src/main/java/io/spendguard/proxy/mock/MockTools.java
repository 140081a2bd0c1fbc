package io.spendguard.proxy.mock;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * How the mock plays the model's side of a tool loop. When a request declares a function tool and
 * its history does not end with a tool result, the mock calls the first such tool instead of
 * answering with text; once a tool result comes back it answers with text, so an agent run takes two
 * model calls. With {@code x-mock-tool-loop} it calls the same tool with the same arguments on every
 * request that declares one, tool results or not: a runaway agent. A {@code tool_choice} of
 * {@code none} always gets text. Arguments are filled from the tool's JSON schema (every property,
 * by type: {@code "mock"}, {@code 1}, {@code true}, {@code []}, nested objects likewise; an
 * {@code enum}, {@code const} or {@code default} value when the schema has one), so they validate
 * against it, and they are the same on every call.
 */
final class MockTools {
    /** Characters per streamed piece of arguments. */
    private static final int PIECE = 8;

    private MockTools() { }

    /**
     * One tool call to answer with: {@code suffix} makes its ids unique per served call; the
     * arguments as JSON text and as the object they encode.
     */
    record Call(String suffix, String name, String arguments, JsonObject input) {
        /** The arguments in streamed pieces, as a provider sends them. */
        List<String> pieces() {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < arguments.length(); i += PIECE) {
                out.add(arguments.substring(i, Math.min(arguments.length(), i + PIECE)));
            }
            return out;
        }
    }

    /**
     * The tool call to answer {@code call} with, or null to answer with text.
     *
     * @param name              the first function tool the request declares (null: none)
     * @param schema            its parameters' JSON schema (null: none)
     * @param afterToolResult   whether the request's history ends with a tool result
     */
    static Call plan(MockCall call, String name, JsonObject schema, boolean afterToolResult) {
        if (name == null || "none".equals(call.body().getValue("tool_choice"))) {
            return null;
        }
        if (afterToolResult && call.request().getHeader("x-mock-tool-loop") == null) {
            return null;
        }
        JsonObject input = schema == null ? new JsonObject() : object(schema, 0);
        return new Call("mock" + call.sequence(), name, input.encode(), input);
    }

    private static JsonObject object(JsonObject schema, int depth) {
        JsonObject out = new JsonObject();
        if (schema.getValue("properties") instanceof JsonObject properties) {
            properties.forEach(p -> out.put(p.getKey(), p.getValue() instanceof JsonObject s ? value(s, depth + 1) : "mock"));
        }
        return out;
    }

    private static Object value(JsonObject schema, int depth) {
        if (schema.containsKey("const")) {
            return schema.getValue("const");
        }
        if (schema.getValue("enum") instanceof JsonArray values && !values.isEmpty()) {
            return values.getValue(0);
        }
        if (schema.containsKey("default")) {
            return schema.getValue("default");
        }
        for (String alternatives : List.of("anyOf", "oneOf")) {
            if (schema.getValue(alternatives) instanceof JsonArray options) {
                for (Object o : options) {
                    if (o instanceof JsonObject option && !"null".equals(option.getValue("type"))) {
                        return value(option, depth);
                    }
                }
            }
        }
        String type = type(schema.getValue("type"));
        return switch (type) {
            case "integer", "number" -> 1;
            case "boolean" -> true;
            case "array" -> new JsonArray();
            case "null" -> null;
            case "object" -> depth > 8 ? new JsonObject() : object(schema, depth);
            default -> schema.containsKey("properties") ? object(schema, depth) : "mock";
        };
    }

    /** A schema's type: the string, or the first non-null type of a list. */
    private static String type(Object type) {
        if (type instanceof String s) {
            return s;
        }
        if (type instanceof JsonArray types) {
            for (Object t : types) {
                if (t instanceof String s && !s.equals("null")) {
                    return s;
                }
            }
        }
        return "";
    }
}
