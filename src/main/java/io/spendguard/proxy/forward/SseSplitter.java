package io.spendguard.proxy.forward;

import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * Cuts a byte stream into whole server-sent events (each ending in a blank line, {@code \n\n} or
 * {@code \r\n\r\n}), keeping the exact bytes. Bytes after the last complete event wait for more.
 */
final class SseSplitter {
    private Buffer pending = Buffer.buffer();
    private int scanned;

    /** Feeds a chunk; calls {@code onEvent} for every event it completes. */
    void feed(Buffer chunk, Consumer<Buffer> onEvent) {
        pending = pending.length() == 0 ? chunk.copy() : pending.appendBuffer(chunk);
        int start = 0;
        int i = Math.max(scanned, 1);
        int len = pending.length();
        while (i < len) {
            byte b = pending.getByte(i);
            if (b == '\n' && pending.getByte(i - 1) == '\n') {
                onEvent.accept(pending.getBuffer(start, i + 1));
                start = i + 1;
                i = start + 1;
                continue;
            }
            if (b == '\n' && i >= start + 3 && pending.getByte(i - 1) == '\r' && pending.getByte(i - 2) == '\n'
                    && pending.getByte(i - 3) == '\r') {
                onEvent.accept(pending.getBuffer(start, i + 1));
                start = i + 1;
                i = start + 1;
                continue;
            }
            i++;
        }
        pending = start == 0 ? pending : pending.getBuffer(start, len);
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
