package io.spendguard.proxy.provider;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Builds one JSON value from a Jackson parser's tokens, as the Vert.x JSON types hold it ({@link JsonObject}
 * parsing the same text would give the same value): how the stream readers keep just the member they
 * need ({@code usage}) out of a reply or event they otherwise pass over.
 */
final class ValueBuilder {
    private final Deque<Object> open = new ArrayDeque<>();
    private String field;
    private Object root;
    private boolean started;

    /** The value at the parser's current token, read to its end (the parser is left on its last token). */
    static Object read(JsonParser p) throws IOException {
        ValueBuilder value = new ValueBuilder();
        value.take(p.currentToken(), p);
        while (!value.complete()) {
            value.take(p.nextToken(), p);
        }
        return value.root();
    }

    /** Takes the parser's current token {@code t}. */
    void take(JsonToken t, JsonParser p) throws IOException {
        started = true;
        switch (t) {
            case FIELD_NAME -> field = p.currentName();
            case START_OBJECT -> push(new JsonObject());
            case START_ARRAY -> push(new JsonArray());
            case END_OBJECT, END_ARRAY -> open.pop();
            case VALUE_STRING -> add(p.getText());
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> add(p.getNumberValue());
            case VALUE_TRUE -> add(Boolean.TRUE);
            case VALUE_FALSE -> add(Boolean.FALSE);
            default -> add(null);
        }
    }

    /** True once the value's last token was taken. */
    boolean complete() {
        return started && open.isEmpty();
    }

    /** The value, once complete. */
    Object root() {
        return root;
    }

    private void push(Object container) {
        add(container);
        open.push(container);
    }

    private void add(Object v) {
        Object parent = open.peek();
        if (parent == null) {
            root = v;
        } else if (parent instanceof JsonObject o) {
            o.put(field, v);
        } else {
            ((JsonArray) parent).add(v);
        }
    }
}
