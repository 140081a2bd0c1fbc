package io.spendguard.proxy.provider;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The few members of a stream event's JSON that a stream scanner reads, picked out in one pass of
 * Jackson's streaming parser: every other member is passed over unbuilt. Stream events arrive by the
 * hundred per call and a scanner needs a usage block and a few delta texts of each, while building
 * each event whole as a {@code JsonObject} was most of the relay's work on a stream.
 *
 * <p>A scanner declares what it reads once, as paths of member names ({@code "usage"},
 * {@code "response.usage"}); {@code []} steps into every element of an array
 * ({@code "choices[].delta.content"}). At a path it takes the {@link #value} (built as {@code JsonObject}
 * parsing the event would hold it, the last one when a key repeats), the {@link #strings} (every
 * string found there, other values passed over) or the {@link #size} of the array there. The paths
 * are declared before the first read (in a static initialiser); the declarations are then only read,
 * by any thread. An event whose data is not one JSON object — {@code [DONE]}, a comment, malformed
 * JSON or UTF-8 — reads as null, as it did when it was built whole (malformed UTF-8 was then read with
 * replacement characters; no provider sends it, and such an event now counts as unreadable).
 */
public final class EventFields {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private enum Kind { VALUE, STRINGS, SIZE }

    /** One declared path: where {@link Event} keeps what was found there. */
    public static final class Field {
        private final int slot;

        private Field(int slot) {
            this.slot = slot;
        }
    }

    /** One step of the declared paths: the members under it, the elements of an array there, what is taken there. */
    private static final class Node {
        final Map<String, Node> members = new HashMap<>();
        Node elements;
        Kind kind;
        int slot;
    }

    private final Node root = new Node();
    private int slots;

    /** The value at {@code path}, built. */
    public Field value(String path) {
        return declare(Kind.VALUE, path);
    }

    /** Every string at any of {@code paths}, in the order they come. */
    public Field strings(String... paths) {
        Field field = new Field(slots++);
        for (String path : paths) {
            at(path, Kind.STRINGS, field);
        }
        return field;
    }

    /** The number of elements of the array at {@code path}. */
    public Field size(String path) {
        return declare(Kind.SIZE, path);
    }

    private Field declare(Kind kind, String path) {
        Field field = new Field(slots++);
        at(path, kind, field);
        return field;
    }

    private void at(String path, Kind kind, Field field) {
        Node node = root;
        for (String step : path.split("\\.")) {
            boolean each = step.endsWith("[]");
            String name = each ? step.substring(0, step.length() - 2) : step;
            if (name.isEmpty()) {
                throw new IllegalArgumentException("empty member name in " + path);
            }
            node = node.members.computeIfAbsent(name, n -> new Node());
            if (each) {
                node = node.elements == null ? node.elements = new Node() : node.elements;
            }
        }
        if (node.kind != null) {
            throw new IllegalArgumentException("declared twice: " + path);
        }
        node.kind = kind;
        node.slot = field.slot;
    }

    /** The declared members of one raw SSE event, or null when its data is not one JSON object. */
    public Event read(Buffer event) {
        byte[] data = SseEvents.data(event);
        if (data == null || data.length == 0 || data[0] != '{') {
            return null;
        }
        Event found = new Event(slots);
        try (JsonParser p = JSON.createParser(data)) {
            p.nextToken();
            read(p, root, found);
            return p.nextToken() == null ? found : null;
        } catch (IOException | RuntimeException e) {  // malformed JSON or UTF-8, a limit of Jackson's reached
            return null;
        }
    }

    /** Reads the value at the parser's current token under {@code node}, leaving the parser on its last token. */
    private static void read(JsonParser p, Node node, Event found) throws IOException {
        JsonToken t = p.currentToken();
        if (node.kind == Kind.VALUE) {
            found.slots[node.slot] = ValueBuilder.read(p);
        } else if (node.kind == Kind.STRINGS && t == JsonToken.VALUE_STRING) {
            found.add(node.slot, p.getText());
        } else if (t == JsonToken.START_OBJECT && !node.members.isEmpty()) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                Node member = node.members.get(p.currentName());
                p.nextToken();
                if (member == null) {
                    p.skipChildren();
                } else {
                    read(p, member, found);
                }
            }
        } else if (t == JsonToken.START_ARRAY && (node.elements != null || node.kind == Kind.SIZE)) {
            int size = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                size++;
                if (node.elements == null) {
                    p.skipChildren();
                } else {
                    read(p, node.elements, found);
                }
            }
            if (node.kind == Kind.SIZE) {
                found.slots[node.slot] = size;
            }
        } else {
            p.skipChildren();
        }
    }

    /** What one event held at the declared paths. */
    public static final class Event {
        private final Object[] slots;

        private Event(int slots) {
            this.slots = new Object[slots];
        }

        /** The value at a {@link EventFields#value} path, null when absent. */
        public Object value(Field field) {
            return slots[field.slot];
        }

        /** Passes on each string found at a {@link EventFields#strings} field's paths. */
        @SuppressWarnings("unchecked")
        public void strings(Field field, Consumer<String> each) {
            if (slots[field.slot] instanceof List<?> list) {
                ((List<String>) list).forEach(each);
            }
        }

        /** The size of the array at a {@link EventFields#size} path, or -1 when there is no array there. */
        public int size(Field field) {
            return slots[field.slot] instanceof Integer n ? n : -1;
        }

        @SuppressWarnings("unchecked")
        private void add(int slot, String text) {
            if (slots[slot] == null) {
                slots[slot] = new ArrayList<String>(2);
            }
            ((List<String>) slots[slot]).add(text);
        }
    }
}
