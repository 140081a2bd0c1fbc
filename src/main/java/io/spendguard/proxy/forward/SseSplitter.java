package io.spendguard.proxy.forward;

import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * Cuts a byte stream into whole server-sent events (each ending in a blank line, {@code \n\n} or
 * {@code \r\n\r\n}), keeping the exact bytes. Bytes after the last complete event wait for more.
 * Events are slices of the bytes fed, not copies; a buffer that was sliced is never written again.
 */
final class SseSplitter {
    private Buffer pending = Buffer.buffer();
    private int scanned;

    /** True when no partial event is waiting: the next chunk starts at an event boundary. */
    boolean idle() {
        return pending.length() == 0;
    }

    /** Feeds a chunk; calls {@code onEvent} for every event it completes. */
    void feed(Buffer chunk, Consumer<Buffer> onEvent) {
        boolean owned = pending.length() > 0;
        pending = owned ? pending.appendBuffer(chunk) : chunk;
        int start = 0;
        int i = Math.max(scanned, 1);
        int len = pending.length();
        while (i < len) {
            byte b = pending.getByte(i);
            if (b == '\n' && pending.getByte(i - 1) == '\n') {
                onEvent.accept(pending.slice(start, i + 1));
                start = i + 1;
                i = start + 1;
                continue;
            }
            if (b == '\n' && i >= start + 3 && pending.getByte(i - 1) == '\r' && pending.getByte(i - 2) == '\n'
                    && pending.getByte(i - 3) == '\r') {
                onEvent.accept(pending.slice(start, i + 1));
                start = i + 1;
                i = start + 1;
                continue;
            }
            i++;
        }
        // What waits is copied into a buffer of our own (later chunks are appended to it), unless it
        // already is one and nothing was sliced from it.
        pending = start == 0 && owned ? pending : pending.getBuffer(start, len);
        scanned = Math.max(0, pending.length());
    }

    /** Whatever bytes never completed an event (sent as they are when the stream ends). */
    Buffer rest() {
        Buffer rest = pending;
        pending = Buffer.buffer();
        scanned = 0;
        return rest;
    }
}
