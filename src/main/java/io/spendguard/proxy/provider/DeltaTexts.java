package io.spendguard.proxy.provider;

import io.spendguard.proxy.estimate.TokenCounter;
import java.util.Arrays;

/**
 * The output texts one stream has carried, counted only when the count is asked for: the count is
 * the bill of a stream cut short, and a stream that ends with the provider's usage never needs it,
 * so its deltas are never tokenised. The count is the sum of each delta's own count, as if each had
 * been counted when it arrived.
 *
 * <p>What a stream keeps is bounded: up to {@value #KEPT_CHARS} characters in up to
 * {@value #KEPT_DELTAS} deltas wait as they came; a delta past either bound is counted on arrival.
 */
public final class DeltaTexts {
    /** Characters of output kept uncounted per stream (a reply of ~4,000 tokens). */
    public static final int KEPT_CHARS = 16 * 1024;
    /** Deltas kept uncounted per stream (a delta is usually one token). */
    public static final int KEPT_DELTAS = 4 * 1024;

    private final TokenCounter tokens;
    private final String encoding;
    private final StringBuilder kept = new StringBuilder();
    private int[] ends = new int[16];
    private int deltas;
    private long counted;

    public DeltaTexts(TokenCounter tokens, String encoding) {
        this.tokens = tokens;
        this.encoding = encoding;
    }

    /** One delta of output: kept for later, or counted now once the kept ones are at a bound. */
    public void add(String text) {
        if (text.isEmpty()) {
            return;
        }
        if (kept.length() + text.length() > KEPT_CHARS || deltas == KEPT_DELTAS) {
            counted += tokens.count(encoding, text);
            return;
        }
        kept.append(text);
        if (deltas == ends.length) {
            ends = Arrays.copyOf(ends, deltas * 2);
        }
        ends[deltas++] = kept.length();
    }

    /** Tokens in every delta so far; the kept ones are counted now (and then no longer kept). */
    public long tokens() {
        int from = 0;
        for (int i = 0; i < deltas; i++) {
            counted += tokens.count(encoding, kept.substring(from, ends[i]));
            from = ends[i];
        }
        kept.setLength(0);
        deltas = 0;
        return counted;
    }
}
