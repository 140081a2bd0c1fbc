package io.spendguard.proxy.estimate;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;

/**
 * Counts tokens with the real BPE encodings (jtokkit). {@code estimate} — for Anthropic and unknown
 * families — is the o200k count × 1.3, rounded up: Claude's tokenizer yields more tokens than o200k
 * for the same text, so this over-counts rather than under-counts. Uses {@code countTokensOrdinary}:
 * untrusted text may contain special-token strings such as {@code <|endoftext|>}.
 *
 * <p>Counts of longer texts are cached per encoding, bounded by the characters held: agents resend
 * the same system prompt, tool definitions and conversation history on every turn, and BPE over
 * them was the largest cost per request in the load-test profile. A hit costs a hash and an equals
 * over the text.
 */
public final class TokenCounter {
    /** Shorter texts (streamed deltas, names, roles) are counted directly: cheap, and rarely repeated. */
    static final int CACHED_MIN_CHARS = 64;
    static final long DEFAULT_CACHE_CHARS = 16L * 1024 * 1024;

    private final Encoding o200k;
    private final Encoding cl100k;
    private final Cache<String, Integer> o200kCounts;
    private final Cache<String, Integer> cl100kCounts;

    public TokenCounter() {
        this(DEFAULT_CACHE_CHARS);
    }

    /** With at most {@code cacheChars} characters of text held per encoding for cached counts (0: no cache). */
    public TokenCounter(long cacheChars) {
        EncodingRegistry registry = Encodings.newLazyEncodingRegistry();
        this.o200k = registry.getEncoding(EncodingType.O200K_BASE);
        this.cl100k = registry.getEncoding(EncodingType.CL100K_BASE);
        this.o200kCounts = cache(cacheChars);
        this.cl100kCounts = cache(cacheChars);
    }

    private static Cache<String, Integer> cache(long chars) {
        // Upkeep on the calling thread: Caffeine's default hands it to the common pool, a thread wake-up per batch of hits.
        return Caffeine.newBuilder().executor(Runnable::run).maximumWeight(chars)
                .weigher((String text, Integer count) -> text.length()).build();
    }

    public int count(String encoding, String text) {
        if (text == null || text.isEmpty()) {
            return 0;
        }
        return switch (encoding) {
            case "o200k_base" -> count(o200k, o200kCounts, text);
            case "cl100k_base" -> count(cl100k, cl100kCounts, text);
            default -> (int) Math.ceil(count(o200k, o200kCounts, text) * 1.3);
        };
    }

    private static int count(Encoding encoding, Cache<String, Integer> counts, String text) {
        if (text.length() < CACHED_MIN_CHARS) {
            return encoding.countTokensOrdinary(text);
        }
        Integer cached = counts.getIfPresent(text);
        if (cached != null) {
            return cached;
        }
        int n = encoding.countTokensOrdinary(text);
        counts.put(text, n);
        return n;
    }
}
