package io.spendguard.proxy.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.provider.anthropic.AnthropicMessages;
import io.spendguard.proxy.provider.openai.OpenAiChat;
import io.spendguard.proxy.provider.openai.OpenAiCompletions;
import io.spendguard.proxy.provider.openai.OpenAiResponses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Stream output is tokenised only when a cut needs it, each delta on its own as before, with what a
 * stream keeps bounded. Observed through {@link TokenCounter#charactersTokenised()}: a counter without
 * a cache runs BPE over every text it is given.
 */
class DeltaTextsTest {
    private static final Encoding O200K = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);

    @Test
    void countsEachDeltaOnItsOwnOnlyWhenAsked() {
        TokenCounter tokens = new TokenCounter(0);
        DeltaTexts deltas = new DeltaTexts(tokens, "o200k_base");
        for (String d : new String[] {"Hel", "lo", "", " wor", "ld"}) {
            deltas.add(d);
        }
        assertThat(tokens.charactersTokenised()).isZero();

        long expected = O200K.countTokensOrdinary("Hel") + O200K.countTokensOrdinary("lo")
                + O200K.countTokensOrdinary(" wor") + O200K.countTokensOrdinary("ld");
        assertThat(expected).as("more than the joined text's count").isGreaterThan(O200K.countTokensOrdinary("Hello world"));
        assertThat(deltas.tokens()).isEqualTo(expected);
        assertThat(tokens.charactersTokenised()).isEqualTo("Hello world".length());

        // asked again: nothing counted twice; later deltas add to it
        assertThat(deltas.tokens()).isEqualTo(expected);
        deltas.add("!");
        assertThat(deltas.tokens()).isEqualTo(expected + 1);
        assertThat(tokens.charactersTokenised()).isEqualTo("Hello world!".length());
    }

    @Test
    void pastTheKeptCharactersADeltaIsCountedOnArrival() {
        TokenCounter tokens = new TokenCounter(0);
        DeltaTexts deltas = new DeltaTexts(tokens, "o200k_base");
        String delta = "x".repeat(64);
        int fit = DeltaTexts.KEPT_CHARS / delta.length();
        for (int i = 0; i < fit; i++) {
            deltas.add(delta);
        }
        assertThat(tokens.charactersTokenised()).isZero();

        deltas.add(" one more");
        assertThat(tokens.charactersTokenised()).isEqualTo(" one more".length());
        assertThat(deltas.tokens()).isEqualTo((long) fit * O200K.countTokensOrdinary(delta) + O200K.countTokensOrdinary(" one more"));
    }

    @Test
    void pastTheKeptDeltasADeltaIsCountedOnArrival() {
        TokenCounter tokens = new TokenCounter(0);
        DeltaTexts deltas = new DeltaTexts(tokens, "cl100k_base");
        for (int i = 0; i < DeltaTexts.KEPT_DELTAS; i++) {
            deltas.add("a");
        }
        assertThat(tokens.charactersTokenised()).isZero();

        deltas.add("b");
        assertThat(tokens.charactersTokenised()).isEqualTo(1);
        assertThat(deltas.tokens()).isEqualTo(DeltaTexts.KEPT_DELTAS + 1);
    }

    /** Every fixture stream below ends with the provider's usage; counting its deltas is left to a cut that never comes. */
    @ParameterizedTest
    @CsvSource({
        "chat, openai, chat-stream-with-usage.sse",
        "completions, openai, completions-stream-with-usage.sse",
        "responses, openai, responses-stream.sse",
        "responses, openai, responses-stream-tool-call.sse",
        "messages, anthropic, messages-stream-basic.sse",
        "messages, anthropic, messages-stream-thinking-tools.sse"})
    void aStreamThatEndsWithUsageIsNeverTokenised(String route, String provider, String fixture) {
        ApiShape shape = switch (route) {
            case "chat" -> new OpenAiChat();
            case "completions" -> new OpenAiCompletions();
            case "responses" -> new OpenAiResponses();
            default -> new AnthropicMessages();
        };
        TokenCounter tokens = new TokenCounter(0);
        StreamScanner scanner = shape.scanner(tokens, "o200k_base", false);

        Fixtures.events(Fixtures.read(provider, fixture)).forEach(scanner::onEvent);

        assertThat(scanner.usage()).isNotNull();
        assertThat(tokens.charactersTokenised()).isZero();
        assertThat(scanner.outputTokensSeen()).as("had it been cut").isPositive();
        assertThat(tokens.charactersTokenised()).isPositive();
    }
}
