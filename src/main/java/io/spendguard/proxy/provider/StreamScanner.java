package io.spendguard.proxy.provider;

import io.spendguard.proxy.estimate.Usage;
import io.vertx.core.buffer.Buffer;

/** Reads one SSE reply event by event, tracking usage and the output seen so far. */
public interface StreamScanner {

    /** Inspects one complete event (raw bytes, terminator included); false drops it from the client stream. */
    boolean onEvent(Buffer event);

    /** The usage the provider reported, or null when none was seen (yet). */
    Usage usage();

    /** Output tokens in the deltas seen so far (the bill of a stream cut short), counted when asked for. */
    long outputTokensSeen();

    /**
     * True when the provider reported an error in the stream and no usage: the call is then billed
     * as cut short (input plus the output seen), not at the whole reservation.
     */
    default boolean failed() {
        return false;
    }
}
