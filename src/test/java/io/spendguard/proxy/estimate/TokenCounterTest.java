package io.spendguard.proxy.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.Base64;
import java.util.Random;
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
        int expected = UNCACHED.count("o200k_base", text);
        assertThat(expected).isGreaterThan(100);
        assertThat(tiny.count("o200k_base", text)).isEqualTo(expected);
        assertThat(tiny.count("o200k_base", text)).isEqualTo(expected);
    }

    @Test
    void shortTextsThatShareASlotKeepTheirOwnCounts() {
        // one String hash, so one slot of the short-text table, and five different o200k counts (4, 2, 5, 6, 3)
        String[] texts = {"AaAaAaAa", "BBBBBBBB", "AaBBAaBB", "BBAaBBAa", "AaAaBBBB"};
        TokenCounter cached = new TokenCounter();
        for (int round = 0; round < 3; round++) {
            for (String text : texts) {
                assertThat(text.hashCode()).isEqualTo(texts[0].hashCode());
                assertThat(cached.count("o200k_base", new String(text.toCharArray()))).as(text).isEqualTo(O200K.countTokensOrdinary(text));
                assertThat(cached.count("cl100k_base", text)).as(text).isEqualTo(CL100K.countTokensOrdinary(text));
            }
        }
    }

    @Test
    void aRepeatedTextIsTokenisedOnceWhetherShortOrLong() {
        String role = "assistant";
        String history = "The duplicate check is not safe across nodes: synchronized guards one JVM only. ".repeat(4);
        TokenCounter cached = new TokenCounter();
        assertThat(cached.count("o200k_base", role)).isEqualTo(O200K.countTokensOrdinary(role));
        assertThat(cached.count("o200k_base", history)).isEqualTo(O200K.countTokensOrdinary(history));
        assertThat(cached.charactersTokenised()).isEqualTo(role.length() + history.length());

        // the next turn's copies of the same texts (a new request's parse makes new strings)
        assertThat(cached.count("o200k_base", new String(role.toCharArray()))).isEqualTo(O200K.countTokensOrdinary(role));
        assertThat(cached.count("estimate", new String(history.toCharArray()))).isEqualTo((int) Math.ceil(O200K.countTokensOrdinary(history) * 1.3));
        assertThat(cached.charactersTokenised()).isEqualTo(role.length() + history.length());

        // per encoding, and nothing is kept without a cache
        cached.count("cl100k_base", role);
        assertThat(cached.charactersTokenised()).isEqualTo(2L * role.length() + history.length());
        TokenCounter uncached = new TokenCounter(0);
        uncached.count("o200k_base", role);
        uncached.count("o200k_base", role);
        assertThat(uncached.charactersTokenised()).isEqualTo(2L * role.length());
    }

    // ---------------------------------------------------------------- pathological runs

    private static final EncodingRegistry JTOKKIT = Encodings.newLazyEncodingRegistry();
    private static final Encoding O200K = JTOKKIT.getEncoding(EncodingType.O200K_BASE);
    private static final Encoding CL100K = JTOKKIT.getEncoding(EncodingType.CL100K_BASE);
    private static final TokenCounter UNCACHED = new TokenCounter(0);

    @Test
    void anEightMebibyteSpacelessWordIsCountedByItsBytesNotByBpe() {
        String word = "z".repeat(8 * 1024 * 1024);
        long bound = word.length() + 2L * TokenCounter.CUT_MARGIN_TOKENS;

        // BPE of this word took 18 s (and OutOfMemoryError at 2 MiB with a 256 MB heap); one token per
        // byte is the capped path, and at least the real count (o200k: "zz" per token, 4 Mi tokens).
        assertThat(UNCACHED.count("o200k_base", word)).isEqualTo(bound).isGreaterThanOrEqualTo(word.length() / 2);
        assertThat(UNCACHED.count("cl100k_base", word)).isEqualTo(bound);
        assertThat(UNCACHED.count("estimate", word)).isEqualTo((int) Math.ceil(bound * 1.3));
    }

    @Test
    void aLongRunInsideOrdinaryTextIsOverCountedAndTheRestCountedExactly() {
        String prose = "The duplicate check is not safe across nodes: synchronized guards one JVM only. ";
        String run = "qwertyuiopasdfghjklzxcvbnm".repeat(400);
        String text = prose + run + "!!!" + prose;
        int exact = O200K.countTokensOrdinary(text);

        int counted = UNCACHED.count("o200k_base", text);

        assertThat(counted).isGreaterThanOrEqualTo(exact)
                .isGreaterThanOrEqualTo(run.length())
                .isLessThanOrEqualTo(O200K.countTokensOrdinary(prose + "!!!" + prose) + run.length() + 3 + 4 * TokenCounter.CUT_MARGIN_TOKENS);
    }

    @Test
    void longRunsOfSymbolsSpacesNewlinesAndMarksAreBoundedToo() {
        for (String run : new String[] {"!".repeat(400), " ".repeat(400), "\n".repeat(400), "\u0301".repeat(200),
                "a\u0301".repeat(200), "!\u0301".repeat(200), "─".repeat(200), "漢".repeat(200), "😀".repeat(100)}) {
            String text = "x " + run + " y";
            int counted = UNCACHED.count("cl100k_base", text);
            assertThat(counted).as("%s…", run.substring(0, 2)).isGreaterThanOrEqualTo(CL100K.countTokensOrdinary(text));
            assertThat(UNCACHED.count("o200k_base", text)).isGreaterThanOrEqualTo(O200K.countTokensOrdinary(text));
            assertThat(counted).isGreaterThanOrEqualTo((int) TokenCounter.utf8Bytes(run, 0, run.length()));
        }
    }

    @Test
    void ordinaryLongTextsAreCountedExactly() {
        byte[] random = new byte[30_000];
        new Random(7).nextBytes(random);
        String base64 = Base64.getEncoder().encodeToString(random);
        String json = "{\"type\":\"object\",\"properties\":{" + "\"field_name_%d\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"]},".repeat(200)
                .formatted(java.util.stream.IntStream.range(0, 200).boxed().toArray()) + "\"z\":{}}}";
        String prose = "Le cœur a ses raisons que la raison ne connaît point. お誕生日おめでとう。 ".repeat(300);
        for (String text : new String[] {base64, json, prose}) {
            assertThat(UNCACHED.count("o200k_base", text)).isEqualTo(O200K.countTokensOrdinary(text));
            assertThat(UNCACHED.count("cl100k_base", text)).isEqualTo(CL100K.countTokensOrdinary(text));
        }
    }

    /**
     * With runs cut at a few bytes, texts drawn from every character class are cut everywhere; the
     * count must never fall below the encoder's own.
     */
    @Test
    void neverCountsFewerTokensThanTheEncoderWhereverTheCutsFall() {
        String[] alphabet = {"a", "Z", "é", "\u0301", "漢", "ß", "1", "23", " ", "  ", "\n", "\r\n", "\t", "!", "'", "'s", "'LL",
                "/", "-", "\"", "😀", "─", ".", "ab", "The", " the", "ing", "ação"};
        Random random = new Random(20_261_206);
        for (int limit : new int[] {1, 5, 24}) {
            TokenCounter tokens = new TokenCounter(0, limit);
            for (int sample = 0; sample < 1000; sample++) {
                StringBuilder text = new StringBuilder();
                int parts = 1 + random.nextInt(60);
                for (int p = 0; p < parts; p++) {
                    String piece = alphabet[random.nextInt(alphabet.length)];
                    text.append(piece.repeat(1 + (random.nextInt(4) == 0 ? random.nextInt(40) : 0)));
                }
                String t = text.toString();
                assertThat(tokens.count("o200k_base", t)).as("o200k, limit %d: %s", limit, t).isGreaterThanOrEqualTo(O200K.countTokensOrdinary(t));
                assertThat(tokens.count("cl100k_base", t)).as("cl100k, limit %d: %s", limit, t).isGreaterThanOrEqualTo(CL100K.countTokensOrdinary(t));
            }
        }
    }

    @Test
    void upperBoundIsOneTokenPerUtf8ByteAndNeverBelowTheCount() {
        String text = "héllo 漢字 😀 world";
        assertThat(TOKENS.upperBound("o200k_base", text)).isEqualTo(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
                .isGreaterThanOrEqualTo(TOKENS.count("o200k_base", text));
        assertThat(TOKENS.upperBound("estimate", text)).isGreaterThanOrEqualTo(TOKENS.count("estimate", text));
        assertThat(TOKENS.upperBound("cl100k_base", "")).isZero();
    }
}
