package io.spendguard.proxy.forward;

import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * Cuts a byte stream into whole server-sent events (each ending in a blank line, {@code \n\n} or
 * {@code \r\n\r\n}), keeping the exact bytes. Bytes after the last complete event wait for more.
 * Events are slices of the bytes fed, not copies; a buffer that was sliced is never written again.
 *
 * <p>No event may pass {@code maxEventBytes} (terminator included): what waits for a terminator is
 * bounded, so a provider that sends an endless event cannot make the proxy hold it. Once an event
 * passes the bound, {@link #tooLarge()} is true and the splitter takes nothing more; the events
 * before it have been given out.
 */
final class SseSplitter {
    /**
     * The largest event relayed: a Responses {@code response.completed} event repeats the whole reply,
     * which can carry a generated image as base64 (several MB).
     */
    static final int MAX_EVENT_BYTES = 8 * 1024 * 1024;

    private final int maxEventBytes;
    private Buffer pending = Buffer.buffer();
    private int scanned;
    private boolean tooLarge;

    SseSplitter() {
        this(MAX_EVENT_BYTES);
    }

    SseSplitter(int maxEventBytes) {
        this.maxEventBytes = maxEventBytes;
    }

    /** True when no partial event is waiting: the next chunk starts at an event boundary. */
    boolean idle() {
        return pending.length() == 0;
    }

    /** True once an event passed the size bound: the stream cannot be relayed any further. */
    boolean tooLarge() {
        return tooLarge;
    }

    /** Feeds a chunk; calls {@code onEvent} for every event it completes (none once an event is too large). */
    void feed(Buffer chunk, Consumer<Buffer> onEvent) {
        if (tooLarge) {
            return;
        }
        boolean owned = pending.length() > 0;
        pending = owned ? pending.appendBuffer(chunk) : chunk;
        int start = 0;
        int i = Math.max(scanned, 1);
        int len = pending.length();
        while (i < len) {
            byte b = pending.getByte(i);
            boolean end = b == '\n' && (pending.getByte(i - 1) == '\n' || i >= start + 3 && pending.getByte(i - 1) == '\r'
                    && pending.getByte(i - 2) == '\n' && pending.getByte(i - 3) == '\r');
            if (end) {
                if (i + 1 - start > maxEventBytes) {
                    tooLong();
                    return;
                }
                onEvent.accept(pending.slice(start, i + 1));
                start = i + 1;
                i = start + 1;
                continue;
            }
            i++;
        }
        if (len - start > maxEventBytes) {
            tooLong();
            return;
        }
        // What waits is copied into a buffer of our own (later chunks are appended to it), unless it
        // already is one and nothing was sliced from it.
        pending = start == 0 && owned ? pending : pending.getBuffer(start, len);
        scanned = Math.max(0, pending.length());
    }

    private void tooLong() {
        tooLarge = true;
        pending = Buffer.buffer();
        scanned = 0;
    }

    /** Whatever bytes never completed an event (sent as they are when the stream ends). */
    Buffer rest() {
        Buffer rest = pending;
        pending = Buffer.buffer();
        scanned = 0;
        return rest;
    }
}
