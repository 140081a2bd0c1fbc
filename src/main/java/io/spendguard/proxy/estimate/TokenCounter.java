package io.spendguard.proxy.estimate;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;

/**
 * Counts tokens with the real BPE encodings (jtokkit). {@code estimate} — for Anthropic and unknown
 * families — is the o200k count × 1.3, rounded up: Claude's tokenizer yields more tokens than o200k
 * for the same text, so this over-counts rather than under-counts. Uses {@code countTokensOrdinary}:
 * untrusted text may contain special-token strings such as {@code <|endoftext|>}.
 */
public final class TokenCounter {
    private final Encoding o200k;
    private final Encoding cl100k;

    public TokenCounter() {
        EncodingRegistry registry = Encodings.newLazyEncodingRegistry();
        this.o200k = registry.getEncoding(EncodingType.O200K_BASE);
        this.cl100k = registry.getEncoding(EncodingType.CL100K_BASE);
    }

    public int count(String encoding, String text) {
        if (text == null || text.isEmpty()) {
            return 0;
        }
        return switch (encoding) {
            case "o200k_base" -> o200k.countTokensOrdinary(text);
            case "cl100k_base" -> cl100k.countTokensOrdinary(text);
            default -> (int) Math.ceil(o200k.countTokensOrdinary(text) * 1.3);
        };
    }
}
