package io.spendguard.proxy.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.spendguard.proxy.config.Sha256;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * The one canonical form records are hashed in: JSON with object keys in sorted order at every
 * level, no whitespace, nulls left out, UTF-8. The same facts always give the same bytes.
 */
public final class Canonical {
    /** UTF-8 out, a character outside the BMP as its four bytes (as the text holds it), not as an escaped surrogate pair. */
    private static final JsonMapper MAPPER = JsonMapper.builder().enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();

    private Canonical() {
    }

    /** A record's body in canonical form and the hex SHA-256 of its UTF-8 bytes. */
    record Hashed(String json, String sha256Hex) { }

    /** A reusable byte buffer whose array the digest reads in place. */
    private static final class Bytes extends ByteArrayOutputStream {
        Bytes() {
            super(1024);
        }

        byte[] array() {
            return buf;
        }
    }

    private static final ThreadLocal<Bytes> BYTES = ThreadLocal.withInitial(Bytes::new);

    /**
     * {@code value} in canonical form and its hash, written straight to Jackson's UTF-8 generator in a
     * buffer kept per thread: a map's keys are sorted as they are written (no sorted copy of the tree),
     * and the bytes are hashed where they were written (this runs twice per model call).
     */
    static Hashed hashed(Map<String, ?> value) {
        Bytes bytes = BYTES.get();
        bytes.reset();
        try (JsonGenerator g = MAPPER.createGenerator(bytes)) {
            write(g, value);
        } catch (IOException e) {
            throw new IllegalArgumentException("audit record is not JSON-serialisable: " + e.getMessage(), e);
        }
        return new Hashed(bytes.toString(StandardCharsets.UTF_8), sha256Hex(bytes.array(), 0, bytes.size()));
    }

    /** {@code value} in canonical form. */
    static String json(Map<String, ?> value) {
        return hashed(value).json();
    }

    /**
     * Final classes (most values: strings and numbers) are tested first: each is an exact-class check,
     * while a test against an interface ({@code Map}, {@code List}) scans the class's interfaces.
     */
    private static void write(JsonGenerator g, Object v) throws IOException {
        if (v instanceof String x) {
            g.writeString(x);
        } else if (v instanceof Long || v instanceof Integer) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof Boolean x) {
            g.writeBoolean(x);
        } else if (v instanceof JsonObject o) {
            writeMap(g, o.getMap());
        } else if (v instanceof JsonArray a) {
            writeList(g, a.getList());
        } else if (v instanceof Map<?, ?> m) {
            writeMap(g, m);
        } else if (v instanceof List<?> l) {
            writeList(g, l);
        } else {
            g.writeObject(v); // null in a list, doubles, anything else Jackson knows
        }
    }

    private static void writeMap(JsonGenerator g, Map<?, ?> m) throws IOException {
        g.writeStartObject();
        for (Map.Entry<?, ?> e : sorted(m)) {
            if (e.getValue() != null) {
                g.writeFieldName((String) e.getKey());
                write(g, e.getValue());
            }
        }
        g.writeEndObject();
    }

    private static void writeList(JsonGenerator g, List<?> l) throws IOException {
        g.writeStartArray();
        for (Object x : l) {
            write(g, x);
        }
        g.writeEndArray();
    }

    /** A map's entries in key order: as they are when the map keeps them so (an event's facts), else sorted. */
    @SuppressWarnings("unchecked")
    private static Iterable<Map.Entry<?, ?>> sorted(Map<?, ?> m) {
        if (m instanceof SortedMap<?, ?> s && s.comparator() == null) {
            return (Iterable<Map.Entry<?, ?>>) (Iterable<?>) m.entrySet();
        }
        List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
        entries.sort(Comparator.comparing(e -> (String) e.getKey()));
        return entries;
    }

    static byte[] sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] sha256(byte[] bytes) {
        return Sha256.digest().digest(bytes);
    }

    static String sha256Hex(String text) {
        return Sha256.hex(sha256(text));
    }

    /** The hex SHA-256 of {@code length} bytes of {@code bytes} from {@code offset}: a record's hash, read from its canonical body in place. */
    public static String sha256Hex(byte[] bytes, int offset, int length) {
        MessageDigest digest = Sha256.digest();
        digest.update(bytes, offset, length);
        return Sha256.hex(digest.digest());
    }
}
