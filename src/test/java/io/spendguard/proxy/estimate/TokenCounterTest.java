package io.spendguard.proxy.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.Test;

/**
 * Pins token counts to values published in the OpenAI cookbook "How to count tokens with tiktoken"
 * (examples/How_to_count_tokens_with_tiktoken.ipynb, section "Comparing encodings"), whose printed
 * token integers for these strings are reproduced by this encoder.
 */
class TokenCounterTest {
    private static final TokenCounter TOKENS = new TokenCounter();

    @Test
    void helloWorldIsTwoTokensInBothEncodings() {
        assertThat(TOKENS.count("o200k_base", "hello world")).isEqualTo(2);
        assertThat(TOKENS.count("cl100k_base", "hello world")).isEqualTo(2);
    }

    @Test
    void matchesCookbookCountsForCl100k() {
        // cookbook: cl100k_base "antidisestablishmentarianism" → [519, 85342, 34500, 479, 8997, 2191]
        assertThat(TOKENS.count("cl100k_base", "antidisestablishmentarianism")).isEqualTo(6);
        assertThat(TOKENS.count("cl100k_base", "2 + 2 = 4")).isEqualTo(7);
        assertThat(TOKENS.count("cl100k_base", "お誕生日おめでとう")).isEqualTo(9);
        // cookbook: encoding.encode("tiktoken is great!") → [83, 1609, 5963, 374, 2294, 0]
        assertThat(TOKENS.count("cl100k_base", "tiktoken is great!")).isEqualTo(6);
    }

    @Test
    void matchesCookbookCountsForO200k() {
        // cookbook: o200k_base "antidisestablishmentarianism" → [493, 129901, 376, 160388, 21203, 2367]
        assertThat(TOKENS.count("o200k_base", "antidisestablishmentarianism")).isEqualTo(6);
        assertThat(TOKENS.count("o200k_base", "2 + 2 = 4")).isEqualTo(7);
        // o200k is denser on Japanese than cl100k: 8 vs 9
        assertThat(TOKENS.count("o200k_base", "お誕生日おめでとう")).isEqualTo(8);
    }

    @Test
    void specialTokenTextIsCountedAsOrdinaryText() {
        assertThatCode(() -> TOKENS.count("o200k_base", "<|endoftext|>")).doesNotThrowAnyException();
        assertThatCode(() -> TOKENS.count("cl100k_base", "<|endoftext|>")).doesNotThrowAnyException();
        // as a special token it would be 1; as ordinary text it is "<", "|", "endo"/"end", ..., "|", ">"
        assertThat(TOKENS.count("o200k_base", "<|endoftext|>")).isEqualTo(7);
        assertThat(TOKENS.count("cl100k_base", "<|endoftext|>")).isEqualTo(7);
        assertThat(TOKENS.count("cl100k_base", "say <|endoftext|><|im_start|>system")).isGreaterThan(7);
    }

    @Test
    void estimateEncodingIsO200kTimesOnePointThreeRoundedUp() {
        assertThat(TOKENS.count("estimate", "hello world")).isEqualTo(3); // ceil(2 × 1.3)
        assertThat(TOKENS.count("estimate", "antidisestablishmentarianism")).isEqualTo(8); // ceil(6 × 1.3 = 7.8)
        assertThat(TOKENS.count("estimate", "hello world hello world hello world hello world hello world"))
                .isEqualTo((int) Math.ceil(TOKENS.count("o200k_base",
                        "hello world hello world hello world hello world hello world") * 1.3));
    }

    @Test
    void unknownEncodingFallsBackToEstimate() {
        assertThat(TOKENS.count("p50k_base", "hello world")).isEqualTo(3);
    }

    @Test
    void nullAndEmptyTextAreZeroTokens() {
        assertThat(TOKENS.count("o200k_base", null)).isZero();
        assertThat(TOKENS.count("cl100k_base", "")).isZero();
        assertThat(TOKENS.count("estimate", "")).isZero();
    }

    @Test
    void cachedCountsOfLongTextsMatchTheEncoderAndStayPerEncoding() {
        String text = "The duplicate check is not safe across nodes: synchronized guards one JVM only. ".repeat(8)
                + "お誕生日おめでとう";
        TokenCounter uncached = new TokenCounter(0);
        int o200k = uncached.count("o200k_base", text);
        int cl100k = uncached.count("cl100k_base", text);
        assertThat(o200k).isNotEqualTo(cl100k);

        TokenCounter cached = new TokenCounter();
        for (int i = 0; i < 3; i++) {
            assertThat(cached.count("o200k_base", new String(text))).isEqualTo(o200k);
            assertThat(cached.count("cl100k_base", new String(text))).isEqualTo(cl100k);
            assertThat(cached.count("estimate", new String(text))).isEqualTo((int) Math.ceil(o200k * 1.3));
        }
        assertThat(cached.count("o200k_base", text + " one more")).isEqualTo(uncached.count("o200k_base", text + " one more"));
    }

    @Test
    void aCacheSmallerThanTheTextStillCounts() {
        String text = "hello world ".repeat(100);
        TokenCounter tiny = new TokenCounter(10);
        int expected = new TokenCounter(0).count("o200k_base", text);
        assertThat(expected).isGreaterThan(100);
        assertThat(tiny.count("o200k_base", text)).isEqualTo(expected);
        assertThat(tiny.count("o200k_base", text)).isEqualTo(expected);
    }
}
