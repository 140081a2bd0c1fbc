package io.spendguard.proxy.provider.openai;

import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.provider.StreamScanner;

/**
 * The state the OpenAI stream scanners keep: the usage the provider reported (null until seen) and the
 * output tokens counted from the deltas so far, with the call's encoding.
 */
abstract class SeenOutput implements StreamScanner {
    private final TokenCounter tokens;
    private final String encoding;
    private Usage usage;
    private long output;

    SeenOutput(TokenCounter tokens, String encoding) {
        this.tokens = tokens;
        this.encoding = encoding;
    }

    /** Counts a piece of streamed output. */
    protected final void output(String text) {
        output += tokens.count(encoding, text);
    }

    /** Records the usage an event reported; null (none in this event) keeps what was seen before. */
    protected final void reported(Usage reported) {
        if (reported != null) {
            usage = reported;
        }
    }

    @Override
    public final Usage usage() {
        return usage;
    }

    @Override
    public final long outputTokensSeen() {
        return output;
    }
}
