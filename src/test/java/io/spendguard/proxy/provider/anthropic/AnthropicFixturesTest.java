package io.spendguard.proxy.provider.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.provider.Fixtures;
import io.spendguard.proxy.provider.StreamScanner;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * AnthropicMessages against the wire-format fixtures in src/test/resources/fixtures/anthropic, built
 * from the shapes Anthropic documents for the Messages API (requests, replies and SSE streams).
 */
class AnthropicFixturesTest {
    private static final TokenCounter TOKENS = new TokenCounter();
    private final AnthropicMessages messages = new AnthropicMessages();

    private static String fixture(String name) {
        return Fixtures.read("anthropic", name);
    }

    private static long estimate(String text) {
        return TOKENS.count("estimate", text);
    }

    @Test
    void basicRequestBillsTheSystemPromptEveryMessageAndItsFraming() {
        CallSpec s = messages.parse(new JsonObject(fixture("messages-request-basic.json")));

        assertThat(s.model()).isEqualTo("claude-sonnet-4-5");
        assertThat(s.stream()).isFalse();
        assertThat(s.maxOutputTokens()).isEqualTo(1024);
        assertThat(s.texts()).containsExactly("You are a helpful assistant.", "Hello, Claude", "Hi! How can I help?",
                "Can you describe LLMs to me?");
        assertThat(s.framingTokens()).isEqualTo(3 * AnthropicMessages.TOKENS_PER_MESSAGE + AnthropicMessages.REPLY_PRIMING);
        assertThat(s.imageTokens()).isZero();
    }

    @Test
    void everyContentBlockTypeIsBilled() {
        CallSpec s = messages.parse(new JsonObject(fixture("messages-request-blocks.json")));

        assertThat(s.stream()).isTrue();
        assertThat(s.texts()).startsWith("You are an assistant that reads contracts and checks the weather.", "Always cite the page you used.");
        assertThat(s.texts()).contains(
                "Lease", "Signed in 2024",                                   // PDF document title and context
                "My Document", "The grass is green. The sky is blue.",      // text document
                "First chunk", "Second chunk",                               // content document
                "What does the lease say about pets, and what is the weather in San Francisco?",
                "The lease mentions pets on page 2. I should call the weather tool.",
                "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj",
                "I'll check the current weather.",
                "get_weather", "{\"location\":\"San Francisco, CA\"}",    // tool call
                "15 degrees", "Sunny, light wind",                           // tool results
                "{\"type\":\"auto\"}");                                      // tool_choice
        assertThat(s.texts()).anyMatch(t -> t.startsWith("{\"type\":\"search_result\"") && t.contains("Cats are allowed."));
        assertThat(s.texts()).anyMatch(t -> t.contains("\"input_schema\"") && t.contains("The city and state"));
        assertThat(s.texts()).noneMatch(t -> t.contains("iVBORw0KGgo") || t.contains("JVBERi0"));
        int images = 3 * AnthropicMessages.IMAGE_TOKENS;
        int pdfPage = AnthropicMessages.PDF_PAGE_TEXT_TOKENS + AnthropicMessages.IMAGE_TOKENS;
        int pdfs = 2 * pdfPage + AnthropicMessages.UNKNOWN_PDF_PAGES * pdfPage;
        assertThat(s.framingTokens()).isEqualTo(3 * AnthropicMessages.TOKENS_PER_MESSAGE + AnthropicMessages.REPLY_PRIMING
                + AnthropicMessages.TOOL_SYSTEM_PROMPT + images + pdfs);
        assertThat(s.maxOutputTokens()).as("max_tokens 16000 covers the 10000 thinking budget").isEqualTo(16_000);
    }

    @Test
    void replyUsageSplitsUncachedInputCacheWritesAndOutput() {
        Usage u = messages.usage(new JsonObject(fixture("messages-response.json")));

        assertThat(u).isEqualTo(new Usage(21, 0, 188_086, 393));
        assertThat(u.totalInput()).isEqualTo(21 + 188_086);
    }

    @Test
    void replyUsageReportsCacheReads() {
        assertThat(messages.usage(new JsonObject(fixture("messages-response-cache-read.json"))))
                .isEqualTo(new Usage(21, 188_086, 0, 393));
    }

    @Test
    void basicStreamTakesInputFromMessageStartAndTheCumulativeOutputFromMessageDelta() {
        StreamScanner scanner = scan("messages-stream-basic.sse", 8);

        assertThat(scanner.usage()).isEqualTo(new Usage(25, 0, 0, 15));
        assertThat(scanner.failed()).isFalse();
        assertThat(scanner.outputTokensSeen()).isEqualTo(estimate("Hello") + estimate("!"));
    }

    @Test
    void thinkingAndToolStreamReadsCacheFieldsAndCountsEveryKindOfDelta() {
        StreamScanner scanner = scan("messages-stream-thinking-tools.sse", 17);

        assertThat(scanner.usage()).isEqualTo(new Usage(423, 3_400, 1_250, 118));
        assertThat(scanner.outputTokensSeen()).isEqualTo(
                estimate("The user asks for the weather") + estimate(" in Florence; I should call the tool.")
                        + estimate("Let me check the weather in Florence.")
                        + estimate("weather") + estimate("{\"location\": \"Flor") + estimate("ence, Italy\"}"));
    }

    @Test
    void overloadedErrorAfterMessageStartMarksTheStreamFailedWithoutUsage() {
        StreamScanner scanner = scan("messages-stream-overloaded.sse", 4);

        assertThat(scanner.usage()).isNull();
        assertThat(scanner.failed()).isTrue();
        assertThat(scanner.outputTokensSeen()).isEqualTo(estimate("Once upon a time"));
    }

    /** Feeds a fixture stream event by event; every event is kept for the client. */
    private StreamScanner scan(String name, int events) {
        StreamScanner scanner = messages.scanner(TOKENS, "estimate", false);
        List<Boolean> kept = Fixtures.events(fixture(name)).stream().map(scanner::onEvent).toList();
        assertThat(kept).hasSize(events).containsOnly(true);
        return scanner;
    }
}
