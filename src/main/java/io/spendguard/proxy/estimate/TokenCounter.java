package io.spendguard.proxy.estimate;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts tokens with the real BPE encodings (jtokkit). {@code estimate} — for Anthropic and unknown
 * families — is the o200k count × 1.3, rounded up: Claude's tokenizer yields more tokens than o200k
 * for the same text, so this over-counts rather than under-counts. Uses {@code countTokensOrdinary}:
 * untrusted text may contain special-token strings such as {@code <|endoftext|>}.
 *
 * <p>Counts are cached per encoding, keyed by the text itself, so a count is only ever that of the very
 * same text: agents resend the same system prompt, tool definitions and conversation history on every
 * turn, and BPE over them was the largest cost per request in the load-test profile; with the caches,
 * a conversation's next turn costs BPE over its new messages only. Longer texts are held in a cache
 * bounded by the characters held (a hit costs a hash and an equals over the text), shorter ones —
 * roles, names, tool call ids — in a small fixed table ({@link ShortCounts}).
 *
 * <p>BPE's cost grows with the length of a single pre-tokenised piece: one spaceless word of 8 MiB
 * took 18 s and hundreds of megabytes. So a text is first scanned for runs that could form such a
 * piece — more than {@value #LONG_RUN_BYTES} UTF-8 bytes of letters (and combining marks), or of
 * anything that is neither a letter nor a digit — and each such run is counted as one token per UTF-8
 * byte instead: every token of a byte-level BPE covers at least one byte, so this never counts
 * fewer tokens than the encoder would. The text around the runs is counted by BPE as usual, with
 * {@value #CUT_MARGIN_TOKENS} tokens added at each cut for the pieces the cut may split. Real text
 * rarely has such runs (digits, spaces and punctuation break words, base64 and minified JSON), so its
 * counts are exact; a pathological text costs a linear scan.
 */
public final class TokenCounter {
    /** Shorter texts (names, roles, ids, streamed deltas) are kept in the small table of {@link ShortCounts}. */
    static final int CACHED_MIN_CHARS = 64;
    static final long DEFAULT_CACHE_CHARS = 16L * 1024 * 1024;
    /** Longest run given to BPE, in UTF-8 bytes: well under jtokkit's 500-byte switch to its slower large-piece encoder. */
    static final int LONG_RUN_BYTES = 256;
    /** Tokens added at each side of a run counted by its bytes, for the pieces next to the cut. */
    static final int CUT_MARGIN_TOKENS = 2;
    /** Claude's tokens per o200k token in the {@code estimate} encoding. */
    private static final double ESTIMATE_FACTOR = 1.3;

    private final Counted o200k;
    private final Counted cl100k;
    private final int longRunBytes;
    private final LongAdder tokenised = new LongAdder();

    public TokenCounter() {
        this(DEFAULT_CACHE_CHARS);
    }

    /** With at most {@code cacheChars} characters of longer texts held per encoding for cached counts (0: nothing cached). */
    public TokenCounter(long cacheChars) {
        this(cacheChars, LONG_RUN_BYTES);
    }

    /** With runs longer than {@code longRunBytes} counted by their bytes (tests use small values to exercise the cuts). */
    TokenCounter(long cacheChars, int longRunBytes) {
        if (longRunBytes < 1) {
            throw new IllegalArgumentException("longRunBytes: " + longRunBytes + " (expected: >= 1)");
        }
        this.longRunBytes = longRunBytes;
        this.o200k = new Counted(Shared.REGISTRY.getEncoding(EncodingType.O200K_BASE), cacheChars);
        this.cl100k = new Counted(Shared.REGISTRY.getEncoding(EncodingType.CL100K_BASE), cacheChars);
    }

    /**
     * One registry for the process, loaded on first use: an encoding's tables take tens of megabytes
     * and are immutable, so every counter (the proxy's, a mock provider's in the same process) shares them.
     */
    private static final class Shared {
        static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();
    }

    /** One encoding with its cached counts: long texts in a cache bounded by their characters, short ones in a fixed table. */
    private final class Counted {
        private final Encoding encoding;
        private final Cache<String, Integer> longTexts;
        private final ShortCounts shortTexts;

        Counted(Encoding encoding, long cacheChars) {
            this.encoding = encoding;
            // Upkeep on the calling thread: Caffeine's default hands it to the common pool, a thread wake-up per batch of hits.
            this.longTexts = Caffeine.newBuilder().executor(Runnable::run).maximumWeight(cacheChars)
                    .weigher((String text, Integer count) -> text.length()).build();
            this.shortTexts = cacheChars > 0 ? new ShortCounts() : null;
        }

        int count(String text) {
            if (text.length() < CACHED_MIN_CHARS) {
                return shortTexts == null ? bounded(encoding, text) : countShort(text);
            }
            Integer cached = longTexts.getIfPresent(text);
            if (cached != null) {
                return cached;
            }
            int n = bounded(encoding, text);
            longTexts.put(text, n);
            return n;
        }

        private int countShort(String text) {
            int n = shortTexts.get(text);
            if (n < 0) {
                n = bounded(encoding, text);
                shortTexts.put(text, n);
            }
            return n;
        }
    }

    /** Tokens in {@code text}: exact, except for pathological runs, which are over-counted (never under-counted). */
    public int count(String encoding, String text) {
        if (text == null || text.isEmpty()) {
            return 0;
        }
        return switch (encoding) {
            case "o200k_base" -> o200k.count(text);
            case "cl100k_base" -> cl100k.count(text);
            default -> estimate(o200k.count(text));
        };
    }

    /**
     * A bound no encoding's count of {@code text} exceeds, without running BPE: one token per UTF-8
     * byte ({@code estimate}: times its factor). For text beyond a request's counting budget.
     */
    public int upperBound(String encoding, String text) {
        if (text == null || text.isEmpty()) {
            return 0;
        }
        int bytes = saturated(utf8Bytes(text, 0, text.length()));
        return "o200k_base".equals(encoding) || "cl100k_base".equals(encoding) ? bytes : estimate(bytes);
    }

    private static int estimate(int o200kTokens) {
        return saturated((long) Math.ceil(o200kTokens * ESTIMATE_FACTOR));
    }

    /**
     * Characters counted without the caches' help so far, by every encoding (the
     * {@code spendguard_tokenised_chars_total} meter).
     */
    public long charactersTokenised() {
        return tokenised.sum();
    }

    /** BPE over the text between long runs; each long run by its bytes plus the margin at its cuts. */
    private int bounded(Encoding encoding, String text) {
        tokenised.add(text.length());
        // No run can be long in a text this short: at most 3 UTF-8 bytes per UTF-16 char.
        if ((long) text.length() * 3 <= longRunBytes) {
            return encoding.countTokensOrdinary(text);
        }
        int[] runs = LongRuns.find(text, longRunBytes);
        if (runs.length == 0) {
            return encoding.countTokensOrdinary(text);
        }
        long total = 0;
        int from = 0;
        for (int r = 0; r < runs.length; r += 2) {
            if (runs[r] > from) {
                total += encoding.countTokensOrdinary(text.substring(from, runs[r]));
            }
            total += utf8Bytes(text, runs[r], runs[r + 1]) + 2L * CUT_MARGIN_TOKENS;
            from = runs[r + 1];
        }
        if (from < text.length()) {
            total += encoding.countTokensOrdinary(text.substring(from));
        }
        return saturated(total);
    }

    /** UTF-8 length of {@code text[from, to)}; a lone surrogate counts 3, as its replacement character would. */
    static long utf8Bytes(String text, int from, int to) {
        long bytes = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private static int saturated(long n) {
        return (int) Math.min(Integer.MAX_VALUE, n);
    }
}
