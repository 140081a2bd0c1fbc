package io.spendguard.proxy.provider.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.spendguard.proxy.config.Provider;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.provider.StreamScanner;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Parsing, validation, usage and stream reading of Anthropic Messages bodies. */
class AnthropicMessagesTest {
    private static final TokenCounter TOKENS = new TokenCounter();
    private static final String HELLO = "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]";
    private final AnthropicMessages shape = new AnthropicMessages();

    private CallSpec parse(String json) {
        return shape.parse(new JsonObject(json));
    }

    private String invalidParam(String json) {
        ProxyException e = catchThrowableOfType(ProxyException.class, () -> parse(json));
        assertThat(e).as("expected INVALID_REQUEST for %s", json).isNotNull();
        assertThat(e.error()).isEqualTo(ProxyError.INVALID_REQUEST);
        assertThat(e.getMessage()).contains(e.param());
        return e.param();
    }

    @Test
    void describesItsRouteAndOutputLimit() {
        assertThat(shape.provider()).isEqualTo(Provider.ANTHROPIC);
        assertThat(shape.route()).isEqualTo("messages");
        assertThat(shape.outputLimitField(new JsonObject())).isEqualTo("max_tokens");
    }

    @Test
    void modelNamesAreBoundedTo256Bytes() {
        assertThat(invalidParam("{\"model\":\"claude-test" + "z".repeat(250) + "\",\"max_tokens\":10," + HELLO + "}")).isEqualTo("model");
        assertThat(parse("{\"model\":\"" + "c".repeat(256) + "\",\"max_tokens\":10," + HELLO + "}").model()).hasSize(256);
    }

    @Test
    void maxTokensIsRequiredAndIsTheOutputLimit() {
        assertThat(invalidParam("{\"model\":\"claude-test\"," + HELLO + "}")).isEqualTo("max_tokens");
        assertThat(parse("{\"model\":\"claude-test\",\"max_tokens\":300," + HELLO + "}").maxOutputTokens()).isEqualTo(300);
    }

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource(delimiter = '|', value = {
        "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|model",
        "{\"model\":7,\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|model",
        "{\"model\":\"c\",\"max_tokens\":\"10\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|max_tokens",
        "{\"model\":\"c\",\"max_tokens\":0,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|max_tokens",
        "{\"model\":\"c\",\"max_tokens\":1.5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|max_tokens",
        "{\"model\":\"c\",\"max_tokens\":10}|messages",
        "{\"model\":\"c\",\"max_tokens\":10,\"messages\":[]}|messages",
        "{\"model\":\"c\",\"max_tokens\":10,\"messages\":[\"hi\"]}|messages[0]",
        "{\"model\":\"c\",\"max_tokens\":10,\"messages\":[{\"content\":\"x\"}]}|messages[0].role",
        "{\"model\":\"c\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\"}]}|messages[0].content",
        "{\"model\":\"c\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":42}]}|messages[0].content",
        "{\"model\":\"c\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}]}|messages[0].content[0].type",
        "{\"model\":\"c\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}|messages[0].content[0].text",
        "{\"model\":\"c\",\"max_tokens\":10,\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"input\":{}}]}]}|messages[0].content[0].name",
        "{\"model\":\"c\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"content\":5}]}]}|messages[0].content[0].content",
        "{\"model\":\"c\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\",\"source\":{\"type\":\"text\"}}]}]}|messages[0].content[0].source.data",
        "{\"model\":\"c\",\"max_tokens\":10,\"system\":42,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|system",
        "{\"model\":\"c\",\"max_tokens\":10,\"system\":[{\"type\":\"text\"}],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|system[0].text",
        "{\"model\":\"c\",\"max_tokens\":10,\"stream\":\"yes\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|stream",
        "{\"model\":\"c\",\"max_tokens\":10,\"tools\":{},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|tools",
        "{\"model\":\"c\",\"max_tokens\":10,\"tool_choice\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|tool_choice",
        "{\"model\":\"c\",\"max_tokens\":10,\"thinking\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|thinking",
        "{\"model\":\"c\",\"max_tokens\":10,\"thinking\":{\"type\":\"enabled\"},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|thinking.budget_tokens",
        "{\"model\":\"c\",\"max_tokens\":10,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":\"lots\"},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|thinking.budget_tokens",
    })
    void aMissingOrMistypedFieldIsA400NamingIt(String body, String param) {
        assertThat(invalidParam(body)).isEqualTo(param);
    }

    @Test
    void systemMayBeAStringOrTextBlocks() {
        CallSpec plain = parse("{\"model\":\"c\",\"max_tokens\":10,\"system\":\"Be brief.\"," + HELLO + "}");
        CallSpec blocks = parse("{\"model\":\"c\",\"max_tokens\":10,\"system\":[{\"type\":\"text\",\"text\":\"Be brief.\","
                + "\"cache_control\":{\"type\":\"ephemeral\"}},{\"type\":\"text\",\"text\":\"Use French.\"}]," + HELLO + "}");

        assertThat(plain.texts()).containsExactly("Be brief.", "Hello");
        assertThat(blocks.texts()).containsExactly("Be brief.", "Use French.", "Hello");
        assertThat(blocks.framingTokens()).isEqualTo(plain.framingTokens());
    }

    @Test
    void aThinkingBudgetAboveMaxTokensRaisesTheOutputCeiling() {
        String interleaved = "{\"model\":\"c\",\"max_tokens\":2000,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":12000}," + HELLO + "}";
        String within = "{\"model\":\"c\",\"max_tokens\":16000,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":12000}," + HELLO + "}";
        String off = "{\"model\":\"c\",\"max_tokens\":2000,\"thinking\":{\"type\":\"disabled\"}," + HELLO + "}";

        assertThat(parse(interleaved).maxOutputTokens()).isEqualTo(12_000);
        assertThat(parse(within).maxOutputTokens()).isEqualTo(16_000);
        assertThat(parse(off).maxOutputTokens()).isEqualTo(2_000);
    }

    @Test
    void imagesCostMoreOnModelsWithAHigherNativeResolution() {
        String image = "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"https://x/a.png\"}}]}]";
        int framing = AnthropicMessages.TOKENS_PER_MESSAGE + AnthropicMessages.REPLY_PRIMING;

        assertThat(parse("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10," + image + "}").framingTokens())
                .isEqualTo(framing + AnthropicMessages.IMAGE_TOKENS);
        assertThat(parse("{\"model\":\"claude-opus-4-7-20260101\",\"max_tokens\":10," + image + "}").framingTokens())
                .isEqualTo(framing + AnthropicMessages.HIGH_RES_IMAGE_TOKENS);
    }

    @Test
    void toolsAddAnthropicsToolSystemPromptOnce() {
        String tool = "{\"name\":\"t\",\"input_schema\":{\"type\":\"object\"}}";
        CallSpec two = parse("{\"model\":\"c\",\"max_tokens\":10,\"tools\":[" + tool + "," + tool + "]," + HELLO + "}");
        CallSpec none = parse("{\"model\":\"c\",\"max_tokens\":10,\"tools\":[]," + HELLO + "}");

        assertThat(two.framingTokens() - none.framingTokens()).isEqualTo(AnthropicMessages.TOOL_SYSTEM_PROMPT);
        assertThat(two.texts()).containsExactly("Hello", tool, tool);
    }

    @Test
    void pdfPagesAreCountedFromThePageObjectsOrEstimatedFromTheSize() {
        String three = "%PDF-1.7\n<< /Type /Page >>\n<</Type/Page>>\n<< /Type\n/Page /Parent 1 0 R >>\n<< /Type /Pages /Count 3 >>";
        String compressed = "%PDF-1.7\n" + "x".repeat(PdfPages.BYTES_PER_PAGE * 2 + 1);
        String huge = "<< /Type /Page >>".repeat(500);

        assertThat(PdfPages.estimate(base64(three))).isEqualTo(3);
        assertThat(PdfPages.estimate(base64(compressed))).isEqualTo(3);
        assertThat(PdfPages.estimate(base64(huge))).isEqualTo(PdfPages.MAX_PAGES);
        assertThat(PdfPages.estimate("not base64 at all!")).isEqualTo(1);
    }

    private static String base64(String pdf) {
        return Base64.getEncoder().encodeToString(pdf.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void streamsNeedNoRewriteBecauseAnthropicAlwaysReportsUsage() {
        Buffer body = Buffer.buffer("{\"model\":\"c\",\"max_tokens\":10,\"stream\":true," + HELLO + "}");

        assertThat(shape.withStreamUsage(body, new JsonObject(body))).isNull();
    }

    @Test
    void aReplyWithoutUsageHasNone() {
        assertThat(shape.usage(new JsonObject("{\"type\":\"message\",\"content\":[]}"))).isNull();
        assertThat(shape.usage(new JsonObject("{\"usage\":null}"))).isNull();
        assertThat(shape.usage(new JsonObject("{\"usage\":{\"input_tokens\":5,\"output_tokens\":2}}"))).isEqualTo(new Usage(5, 0, 0, 2));
    }

    // ---------------------------------------------------------------- stream scanner

    private static Buffer event(String type, String json) {
        return Buffer.buffer("event: " + type + "\r\ndata: " + json + "\r\n\r\n");
    }

    private static final Buffer START = event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
            + "\"usage\":{\"input_tokens\":40,\"cache_creation_input_tokens\":7,\"cache_read_input_tokens\":9,\"output_tokens\":1}}}");
    private static final Buffer DELTA = event("content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello world\"}}");
    private static final Buffer OVERLOADED = event("error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");

    private StreamScanner feed(Buffer... events) {
        StreamScanner scanner = shape.scanner(TOKENS, "estimate", false);
        for (Buffer e : events) {
            assertThat(scanner.onEvent(e)).isTrue();
        }
        return scanner;
    }

    @Test
    void aStreamCutAfterMessageStartHasNoUsageYetAndHasNotFailed() {
        StreamScanner scanner = feed(START, DELTA);

        assertThat(scanner.usage()).as("the output is unknown until message_delta").isNull();
        assertThat(scanner.failed()).isFalse();
        assertThat(scanner.outputTokensSeen()).isEqualTo(TOKENS.count("estimate", "Hello world"));
    }

    @Test
    void messageDeltaInputFieldsReplaceThoseOfMessageStart() {
        StreamScanner scanner = feed(START, DELTA, event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
                + "\"usage\":{\"input_tokens\":41,\"cache_read_input_tokens\":9,\"output_tokens\":30}}"));

        assertThat(scanner.usage()).isEqualTo(new Usage(41, 9, 7, 30));
    }

    @Test
    void anErrorEventBeforeTheFinalUsageFailsTheStream() {
        assertThat(feed(START, DELTA, OVERLOADED).failed()).isTrue();
        assertThat(feed(OVERLOADED).failed()).as("an error before message_start too").isTrue();
    }

    @Test
    void anErrorEventAfterTheFinalUsageChangesNothing() {
        StreamScanner scanner = feed(START, event("message_delta", "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":3}}"), OVERLOADED);

        assertThat(scanner.failed()).isFalse();
        assertThat(scanner.usage()).isEqualTo(new Usage(40, 9, 7, 3));
    }

    @Test
    void outputWithoutAnyInputCountIsNoUsage() {
        assertThat(feed(event("message_delta", "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":3}}")).usage()).isNull();
    }

    @Test
    void pingsCommentsAndMalformedEventsAreKeptAndIgnored() {
        StreamScanner scanner = feed(event("ping", "{\"type\": \"ping\"}"), Buffer.buffer(": keep-alive\n\n"),
                Buffer.buffer("event: content_block_delta\ndata: {broken\n\n"), event("message_stop", "{\"type\":\"message_stop\"}"));

        assertThat(scanner.usage()).isNull();
        assertThat(scanner.failed()).isFalse();
        assertThat(scanner.outputTokensSeen()).isZero();
    }

    @Test
    void countsServerToolsButNotClientTools() {
        CallSpec s = parse("{\"model\":\"claude-test\",\"max_tokens\":10," + HELLO + ",\"tools\":["
                + "{\"type\":\"web_search_20250305\",\"name\":\"web_search\",\"max_uses\":3},"
                + "{\"type\":\"code_execution_20250825\",\"name\":\"code_execution\"},"
                + "{\"type\":\"bash_20250124\",\"name\":\"bash\"},"
                + "{\"name\":\"get_weather\",\"input_schema\":{\"type\":\"object\"}}]}");

        assertThat(s.hidden().hostedTools()).isEqualTo(2);
        assertThat(parse("{\"model\":\"claude-test\",\"max_tokens\":10," + HELLO + "}").hidden().hostedTools()).isZero();
    }
}
