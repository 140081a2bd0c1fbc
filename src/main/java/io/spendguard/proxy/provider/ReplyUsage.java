package io.spendguard.proxy.provider;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;

/**
 * Reads the top-level {@code usage} of a JSON reply as the reply goes by, chunk by chunk, without
 * keeping the reply: the bytes are fed to Jackson's non-blocking parser, every other member is
 * passed over token by token, and only the {@code usage} value is built. The reply body is never
 * changed; the client gets it as it came.
 *
 * <p>The answer is what parsing the whole reply into a {@link JsonObject} and keeping its
 * {@code usage} gives: null for a body that is not one well-formed JSON object, the last
 * {@code usage} when a key repeats. Every {@link ApiShape} reads usage from that one member only.
 *
 * <p>What the scan holds is bounded whatever the provider sends: the {@code usage} value may take at
 * most {@link #MAX_USAGE_BYTES} of the reply, nesting at most {@link #MAX_DEPTH} levels, and any one
 * string or number at most {@link #MAX_STRING_CHARS} characters (the parser gathers a string whole
 * before it can pass over it). A reply past a bound is still relayed; the scan gives up and
 * {@link Scan#overLimit()} says so, and the call is billed as one without usage.
 */
public final class ReplyUsage {
    /** The most bytes of reply the {@code usage} value may span: real ones are a few hundred. */
    public static final int MAX_USAGE_BYTES = 64 * 1024;
    /** The deepest nesting the scan follows (replies nest about ten levels). */
    public static final int MAX_DEPTH = 128;
    /**
     * The longest string the scan reads through (a Responses reply can carry a generated image as
     * base64 text, several MB): what one scan may hold at once, at two bytes a character.
     */
    public static final int MAX_STRING_CHARS = 8 * 1024 * 1024;

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxStringLength(MAX_STRING_CHARS)
                    .maxNumberLength(1000)
                    .maxNameLength(64 * 1024)
                    .build())
            .build();
    private static final String USAGE = "usage";

    private ReplyUsage() { }

    /** A JSON object holding only the reply's {@code usage} (absent if it has none), or null when the body is not a JSON object. */
    public static JsonObject of(Buffer body) {
        Scan scan = scan();
        scan.feed(body);
        return scan.finish();
    }

    /** A scan for one reply: feed it the chunks as they arrive, then {@link Scan#finish()}. */
    public static Scan scan() {
        return new Scan();
    }

    /** The running scan of one reply. Never throws: a body that cannot be read simply has no usage. */
    public static final class Scan {
        private enum State { READING, NOT_JSON, OVER_LIMIT }

        private final JsonParser parser;
        private final ByteArrayFeeder feeder;
        private State state = State.READING;
        private int depth;
        private boolean rooted;
        private boolean closed;
        private boolean usageNext;
        private ValueBuilder value;
        private long valueStart;
        private Object usage;
        private boolean found;

        private Scan() {
            try {
                parser = JSON.createNonBlockingByteArrayParser();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
        }

        /** Reads the next chunk of the reply (nothing once the scan has given up). */
        public void feed(Buffer chunk) {
            if (state != State.READING || chunk.length() == 0) {
                return;
            }
            byte[] bytes = chunk.getBytes();
            run(() -> feeder.feedInput(bytes, 0, bytes.length));
        }

        /** Ends the reply: the {@code usage}-only object, or null when the reply was not one JSON object or a bound tripped. */
        public JsonObject finish() {
            if (state == State.READING) {
                run(feeder::endOfInput);
            }
            if (state != State.READING || !closed) {
                return null;
            }
            JsonObject only = new JsonObject();
            return found ? only.put(USAGE, usage) : only;
        }

        /** True when the reply went past one of the scan's bounds (its usage is then unknown). */
        public boolean overLimit() {
            return state == State.OVER_LIMIT;
        }

        private interface Input {
            void give() throws IOException;
        }

        private void run(Input input) {
            try {
                input.give();
                for (JsonToken t = parser.nextToken(); t != null && t != JsonToken.NOT_AVAILABLE; t = parser.nextToken()) {
                    token(t);
                    if (state != State.READING) {
                        break;
                    }
                }
            } catch (StreamConstraintsException e) {
                state = State.OVER_LIMIT;
            } catch (IOException | RuntimeException e) {
                state = State.NOT_JSON;
            }
            if (state != State.READING) {
                value = null;
                usage = null;
                closeQuietly();
            }
        }

        private void token(JsonToken t) throws IOException {
            if (closed || (!rooted && t != JsonToken.START_OBJECT)) {
                state = State.NOT_JSON;  // a second value after the object, or a root that is not an object
                return;
            }
            rooted = true;
            if (value != null) {
                value.take(t, parser);
                if (parser.currentLocation().getByteOffset() - valueStart > MAX_USAGE_BYTES) {
                    state = State.OVER_LIMIT;
                    return;
                }
                if (value.complete()) {
                    usage = value.root();
                    found = true;
                    value = null;
                }
            } else if (usageNext) {
                value = new ValueBuilder();
                valueStart = parser.currentTokenLocation().getByteOffset();
                usageNext = false;
                token(t);
                return;
            }
            switch (t) {
                case START_OBJECT, START_ARRAY -> depth++;
                case END_OBJECT, END_ARRAY -> closed = --depth == 0;
                case FIELD_NAME -> usageNext = depth == 1 && USAGE.equals(parser.currentName());
                default -> { }
            }
        }

        private void closeQuietly() {
            try {
                parser.close();
            } catch (IOException e) {
                // nothing held but the parser's own buffers
            }
        }
    }
}
