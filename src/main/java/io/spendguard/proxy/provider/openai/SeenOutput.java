package io.spendguard.proxy.provider.openai;

import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.provider.DeltaTexts;
import io.spendguard.proxy.provider.StreamScanner;

/**
 * The state the OpenAI stream scanners keep: the usage the provider reported (null until seen) and the
 * output deltas so far, counted with the call's encoding when a cut stream needs them ({@link DeltaTexts}).
 */
abstract class SeenOutput implements StreamScanner {
    private final DeltaTexts output;
    private Usage usage;

    SeenOutput(TokenCounter tokens, String encoding) {
        this.output = new DeltaTexts(tokens, encoding);
    }

    /** A piece of streamed output. */
    protected final void output(String text) {
        output.add(text);
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
        return output.tokens();
    }
}
