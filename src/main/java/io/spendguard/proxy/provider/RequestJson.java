package io.spendguard.proxy.provider;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Reads a model call's body into a {@link JsonObject}, refusing a key that appears twice in one
 * object at any depth. Such a body means two things: we would price the last {@code model} or
 * {@code max_tokens} while the provider, or a proxy between, may read the first, and the bytes we
 * forward carry both. Jackson's strict duplicate detection runs on a parser factory of our own, so
 * Vert.x's codec for every other JSON is untouched; comments stay allowed, as Vert.x's codec allowed
 * them in request bodies before.
 */
public final class RequestJson {
    /** Longest key name echoed back in an error; a hostile key can be megabytes long. */
    static final int SHOWN_KEY_CHARS = 64;
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private RequestJson() { }

    /** The body as a JSON object; a {@code 400 invalid_request} when it is not one, or repeats a key (naming it and its path). */
    public static JsonObject parse(Buffer body) {
        return parse(body.getBytes());
    }

    /** {@link #parse(Buffer)} of the body's bytes (the caller's copy, which it may hash too). */
    public static JsonObject parse(byte[] bytes) {
        if (!wellFormedUtf8(bytes)) {
            throw ProxyError.INVALID_REQUEST.exception("The request body is not well-formed UTF-8.");
        }
        Object value;
        try {
            JsonParser parser = FACTORY.createParser(bytes);
            value = JacksonCodec.fromParser(parser, Object.class);
        } catch (DecodeException e) {
            if (e.getCause() instanceof StreamReadException cause && isDuplicate(cause)) {
                throw duplicate(cause.getProcessor());
            }
            throw notAnObject();
        } catch (IOException e) {
            throw notAnObject();
        }
        if (value instanceof JsonObject object) {
            return object;
        }
        throw notAnObject();
    }

    /**
     * True when {@code bytes} are well-formed UTF-8 (RFC 3629): Jackson decodes encoded surrogates and
     * some overlong forms without complaint, and JSON text must be UTF-8 (RFC 8259). ASCII bodies,
     * the usual case, are passed after one scan.
     */
    static boolean wellFormedUtf8(byte[] bytes) {
        int i = 0;
        while (i + Long.BYTES <= bytes.length && ((long) LONGS.get(bytes, i) & 0x8080808080808080L) == 0) {
            i += Long.BYTES; // eight ASCII bytes at a time
        }
        while (i < bytes.length && bytes[i] >= 0) {
            i++;
        }
        if (i == bytes.length) {
            return true;
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, i, bytes.length - i));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static boolean isDuplicate(StreamReadException e) {
        return e.getProcessor() instanceof JsonParser && e.getOriginalMessage() != null
                && e.getOriginalMessage().startsWith("Duplicate field '");
    }

    /** The parser stopped on the repeated key: its context names the key and the objects and arrays around it. */
    private static ProxyException duplicate(JsonParser parser) {
        JsonStreamContext at = parser.getParsingContext();
        String key = shown(at.getCurrentName());
        String path = path(at);
        return ProxyError.INVALID_REQUEST.exception("The request body has the key '" + key + "' more than once"
                + (path.equals(key) ? "" : " (at '" + path + "')") + "; send each key once.").param(path);
    }

    /** A path in the form the shapes name fields: {@code messages[0].content}. */
    static String path(JsonStreamContext leaf) {
        Deque<JsonStreamContext> chain = new ArrayDeque<>();
        for (JsonStreamContext c = leaf; c != null && !c.inRoot(); c = c.getParent()) {
            chain.push(c);
        }
        StringBuilder out = new StringBuilder();
        for (JsonStreamContext c : chain) {
            if (c.inArray()) {
                out.append('[').append(Math.max(0, c.getCurrentIndex())).append(']');
            } else {
                if (out.length() > 0) {
                    out.append('.');
                }
                out.append(shown(c.getCurrentName()));
            }
        }
        return out.toString();
    }

    private static String shown(String key) {
        if (key == null) {
            return "";
        }
        return key.length() <= SHOWN_KEY_CHARS ? key : key.substring(0, SHOWN_KEY_CHARS) + "…";
    }

    private static ProxyException notAnObject() {
        return ProxyError.INVALID_REQUEST.exception("The request body is not a valid JSON object.");
    }
}
