package io.spendguard.proxy.provider;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;

/**
 * Reads the top-level {@code usage} of a JSON reply without building the rest of it: the reply is
 * scanned with Jackson's streaming parser, every other member skipped unbuilt, and only the
 * {@code usage} value built (decoding it through the object mapper cost more than the whole scan). The reply body is never changed; the client gets it as it came.
 * The answer is what parsing the whole reply into a {@link JsonObject} and keeping its
 * {@code usage} gives: null for a body that is not one well-formed JSON object, the last
 * {@code usage} when a key repeats. Every {@link ApiShape} reads usage from that one member only.
 */
public final class ReplyUsage {
    private static final JsonFactory JSON = new JsonFactory();
    private static final String USAGE = "usage";

    private ReplyUsage() { }

    /** A JSON object holding only the reply's {@code usage} (absent if it has none), or null when the body is not a JSON object. */
    public static JsonObject of(Buffer body) {
        byte[] bytes = body.getBytes();
        Object usage = null;
        boolean found = false;
        try (JsonParser p = JSON.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                boolean isUsage = USAGE.equals(p.currentName());
                JsonToken value = p.nextToken();
                if (isUsage) {
                    usage = value(p);
                    found = true;
                } else {
                    p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                return null;
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        JsonObject only = new JsonObject();
        return found ? only.put(USAGE, usage) : only;
    }

    /** The value at the parser's current token, built as the Vert.x JSON types (as {@link JsonObject} would). */
    private static Object value(JsonParser p) throws IOException {
        switch (p.currentToken()) {
            case START_OBJECT -> {
                JsonObject o = new JsonObject();
                for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                    String name = p.currentName();
                    p.nextToken();
                    o.put(name, value(p));
                }
                return o;
            }
            case START_ARRAY -> {
                JsonArray a = new JsonArray();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    a.add(value(p));
                }
                return a;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return p.getNumberValue();
            }
            case VALUE_TRUE -> {
                return Boolean.TRUE;
            }
            case VALUE_FALSE -> {
                return Boolean.FALSE;
            }
            default -> {
                return null;
            }
        }
    }
}
