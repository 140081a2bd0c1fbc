package io.spendguard.proxy.provider.openai;

import static io.spendguard.proxy.provider.Fixtures.rejectedField;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.config.Provider;
import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.HiddenInput;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.provider.Fixtures;
import io.spendguard.proxy.provider.StreamScanner;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** OpenAI Responses: every input form, field errors, usage from JSON and from recorded-shape event streams. */
class OpenAiResponsesTest {
    private static final TokenCounter TOKENS = new TokenCounter();
    private final OpenAiResponses responses = new OpenAiResponses();

    private CallSpec parse(String json) {
        return responses.parse(new JsonObject(json));
    }

    private static long o200k(String... texts) {
        long total = 0;
        for (String t : texts) {
            total += TOKENS.count("o200k_base", t);
        }
        return total;
    }

    // ---------------------------------------------------------------- parse

    @Test
    void describesItsRouteAndNamesMaxOutputTokensAsTheOutputLimit() {
        assertThat(responses.provider()).isEqualTo(Provider.OPENAI);
        assertThat(responses.route()).isEqualTo("responses");
        assertThat(responses.outputLimitField(new JsonObject())).isEqualTo("max_output_tokens");
    }

    @Test
    void stringInputIsOneUserMessageWithDefaults() {
        CallSpec s = parse("{\"model\":\"gpt-4.1\",\"input\":\"Tell me a three sentence bedtime story about a unicorn.\"}");

        assertThat(s.model()).isEqualTo("gpt-4.1");
        assertThat(s.stream()).isFalse();
        assertThat(s.texts()).containsExactly("user", "Tell me a three sentence bedtime story about a unicorn.");
        assertThat(s.framingTokens()).isEqualTo(3 + 3);
        assertThat(s.imageTokens()).isZero();
        assertThat(s.maxOutputTokens()).isNull();
        assertThat(s.choices()).isEqualTo(1);
        assertThat(s.billsOutput()).isTrue();
    }

    @Test
    void itemsFixtureBillsEveryItemKind() {
        CallSpec s = responses.parse(Fixtures.openAiJson("responses-request-items.json"));

        assertThat(s.stream()).isTrue();
        assertThat(s.maxOutputTokens()).isEqualTo(800);
        // Reply priming, instructions, and five message-like items (user, call, call output, assistant, user).
        assertThat(s.framingTokens()).isEqualTo(3 + 3 + 5 * 3);
        // A low-detail image, an image by file id (default detail), a file by id (one page, unknown here).
        assertThat(s.imageTokens()).isEqualTo(85 + 765 + 765);
        assertThat(s.texts().subList(0, 11)).containsExactly(
                "developer", "You are a concise travel assistant.",
                "user", "What's the weather like in Paris today?",
                "**Checking the weather**\n\nI should call get_weather for Paris.",
                "get_weather", "{\"latitude\":48.8566,\"longitude\":2.3522}",
                "{\"temperature_c\":18,\"conditions\":\"sunny\"}",
                "assistant", "It's 18°C and sunny in Paris.",
                "user");
        assertThat(s.texts()).contains("What is in this image, and does the brochure agree?");
        assertThat(s.texts()).noneMatch(t -> t.contains("gAAAAAB")).noneMatch(t -> t.contains("wikimedia"));
        assertThat(s.texts()).anyMatch(t -> t.contains("\"file_data\":\"data:application/pdf;base64,JVBERi0x"));
        assertThat(s.texts()).anyMatch(t -> t.contains("\"file_id\":\"file-8bVm2TqZrP4kLw9XcN3dYs\""));
        assertThat(s.texts()).anyMatch(t -> t.contains("item_reference"));
        assertThat(s.texts()).anyMatch(t -> t.contains("\"name\":\"get_weather\"") && t.contains("celsius"));
        assertThat(s.texts().get(s.texts().size() - 1)).contains("json_schema").contains("\"name\":\"answer\"");
    }

    @Test
    void typedAndUntypedMessagesAreTheSame() {
        CallSpec untyped = parse("{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        CallSpec typed = parse("{\"model\":\"m\",\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":\"hi\"}]}");

        assertThat(typed).isEqualTo(untyped);
        assertThat(typed.texts()).containsExactly("user", "hi");
    }

    @Test
    void contentPartsCountTextAndImagesByDetail() {
        CallSpec s = parse("""
                {"model":"m","input":[{"role":"user","content":[
                  {"type":"input_text","text":"Compare"},
                  {"type":"input_image","image_url":"data:image/png;base64,AAAA","detail":"low"},
                  {"type":"input_image","image_url":"https://example.com/b.png","detail":"high"},
                  {"type":"input_image","image_url":"https://example.com/c.png","detail":"auto"},
                  {"type":"input_text","text":""}]}]}""");

        assertThat(s.imageTokens()).isEqualTo(85 + 765 + 765);
        assertThat(s.texts()).containsExactly("user", "Compare", "");
    }

    @Test
    void functionCallOutputMayCarryParts() {
        CallSpec s = parse("""
                {"model":"m","input":[{"type":"function_call_output","call_id":"call_1","output":[
                  {"type":"input_text","text":"chart attached"},{"type":"input_image","file_id":"file-1","detail":"low"}]}]}""");

        assertThat(s.texts()).containsExactly("chart attached");
        assertThat(s.imageTokens()).isEqualTo(85);
        assertThat(s.framingTokens()).isEqualTo(3 + 3);
    }

    @Test
    void reasoningItemBillsItsSummaryAndReasoningTextButNotEncryptedContent() {
        CallSpec s = parse("""
                {"model":"o4-mini","input":[{"type":"reasoning","id":"rs_1","encrypted_content":"gAAAAABxyz",
                  "summary":[{"type":"summary_text","text":"Plan the answer."}],
                  "content":[{"type":"reasoning_text","text":"First, the user wants"}]}]}""");

        assertThat(s.texts()).containsExactly("Plan the answer.", "First, the user wants");
        assertThat(s.framingTokens()).isEqualTo(3);
    }

    @Test
    void unknownItemAndPartTypesAreBilledAsTheirJson() {
        CallSpec s = parse("""
                {"model":"m","input":[{"type":"computer_call_output","call_id":"c1","output":{"type":"input_image","image_url":"x"}},
                  {"role":"user","content":[{"type":"input_audio","input_audio":{"data":"QUJD","format":"wav"}}]}]}""");

        assertThat(s.texts()).hasSize(3);
        assertThat(new JsonObject(s.texts().get(0)).getString("type")).isEqualTo("computer_call_output");
        assertThat(new JsonObject(s.texts().get(2)).getString("type")).isEqualTo("input_audio");
    }

    @Test
    void jsonSchemaTextFormatIsBilledButPlainTextIsNot() {
        CallSpec schema = parse("{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"r\","
                + "\"schema\":{\"type\":\"object\"}}}}");
        CallSpec plain = parse("{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"text\"},\"verbosity\":\"low\"}}");

        assertThat(schema.texts()).hasSize(3);
        assertThat(schema.texts().get(2)).contains("json_schema");
        assertThat(plain.texts()).containsExactly("user", "x");
    }

    @Test
    void inputMayBeLeftToAPreviousResponse() {
        CallSpec s = parse("{\"model\":\"m\",\"previous_response_id\":\"resp_1\",\"instructions\":\"Be brief.\"}");

        assertThat(s.texts()).containsExactly("developer", "Be brief.");
        assertThat(s.framingTokens()).isEqualTo(3 + 3);
    }

    @Test
    void wrongTypesAreRefusedNamingTheField() {
        assertThat(rejectedField(responses, "{\"input\":\"x\"}")).isEqualTo("model");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":42}")).isEqualTo("input");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":{\"role\":\"user\"}}")).isEqualTo("input");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":\"x\"},\"oops\"]}")).isEqualTo("input[1]");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":[{\"content\":\"x\"}]}")).isEqualTo("input[0].role");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":7}]}")).isEqualTo("input[0].content");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\"}]}]}"))
                .isEqualTo("input[0].content[0].text");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}]}"))
                .isEqualTo("input[0].content[0].type");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_image\","
                + "\"detail\":1}]}]}")).isEqualTo("input[0].content[0].detail");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":[{\"type\":7}]}")).isEqualTo("input[0].type");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":[{\"type\":\"function_call\",\"arguments\":\"{}\"}]}"))
                .isEqualTo("input[0].name");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":[{\"type\":\"function_call\",\"name\":\"f\",\"arguments\":{}}]}"))
                .isEqualTo("input[0].arguments");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":[{\"type\":\"function_call_output\",\"output\":5}]}"))
                .isEqualTo("input[0].output");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":[{\"type\":\"reasoning\",\"summary\":\"x\"}]}"))
                .isEqualTo("input[0].summary");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":[{\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\"}]}]}"))
                .isEqualTo("input[0].summary[0].text");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":\"x\",\"instructions\":[\"be brief\"]}")).isEqualTo("instructions");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":\"x\",\"tools\":{}}")).isEqualTo("tools");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":\"x\",\"tools\":[\"f\"]}")).isEqualTo("tools[0]");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":\"x\",\"text\":\"json\"}")).isEqualTo("text");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":\"json\"}}")).isEqualTo("text.format");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":\"x\",\"max_output_tokens\":\"100\"}")).isEqualTo("max_output_tokens");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":\"x\",\"max_output_tokens\":0}")).isEqualTo("max_output_tokens");
        assertThat(rejectedField(responses, "{\"model\":\"m\",\"input\":\"x\",\"stream\":\"yes\"}")).isEqualTo("stream");
    }

    @Test
    void streamsAlwaysReportUsageSoNothingIsInjected() {
        Buffer in = Buffer.buffer("{\"model\":\"m\",\"input\":\"x\",\"stream\":true}");

        assertThat(responses.withStreamUsage(in, new JsonObject(in))).isNull();
    }

    // ---------------------------------------------------------------- usage

    @Test
    void usageSplitsCachedInputAndKeepsReasoningInOutput() {
        Usage u = responses.usage(Fixtures.openAiJson("responses-response.json"));

        assertThat(u).isEqualTo(new Usage(2210 - 1920, 1920, 0, 468));
    }

    @Test
    void replyWithoutUsageHasNone() {
        assertThat(responses.usage(new JsonObject("{\"id\":\"resp_1\",\"object\":\"response\",\"usage\":null}"))).isNull();
        assertThat(responses.usage(new JsonObject("{\"id\":\"resp_1\"}"))).isNull();
    }

    // ---------------------------------------------------------------- stream scanner

    @Test
    void completedStreamReportsUsageAndCountsTextDeltas() {
        StreamScanner scanner = responses.scanner(TOKENS, "o200k_base", true);

        List<Boolean> kept = Fixtures.feedOpenAi(scanner, "responses-stream.sse");

        assertThat(kept).hasSize(11).containsOnly(true);
        assertThat(scanner.usage()).isEqualTo(new Usage(14, 0, 0, 3));
        assertThat(scanner.outputTokensSeen()).isEqualTo(3);
        assertThat(scanner.failed()).isFalse();
    }

    @Test
    void toolCallStreamCountsReasoningSummaryAndArgumentDeltas() {
        StreamScanner scanner = responses.scanner(TOKENS, "o200k_base", false);

        Fixtures.feedOpenAi(scanner, "responses-stream-tool-call.sse");

        assertThat(scanner.usage()).isEqualTo(new Usage(1312 - 1152, 1152, 0, 218));
        long summary = o200k("**Checking", " the weather", "**\n\nI'll", " call get_weather", " for Paris", ".");
        long arguments = o200k("{\"", "latitude", "\":", "48", ".", "8566", ",\"", "longitude", "\":", "2", ".", "3522", "}");
        assertThat(scanner.outputTokensSeen()).isEqualTo(summary + arguments);
    }

    @Test
    void errorEventWithoutUsageMarksTheStreamFailed() {
        StreamScanner scanner = responses.scanner(TOKENS, "o200k_base", false);

        List<Boolean> kept = Fixtures.feedOpenAi(scanner, "responses-stream-error.sse");

        assertThat(kept).containsOnly(true);
        assertThat(scanner.usage()).isNull();
        assertThat(scanner.failed()).isTrue();
        assertThat(scanner.outputTokensSeen()).isEqualTo(o200k("Once upon a time")).isEqualTo(4);
    }

    @Test
    void incompleteResponseStillBillsItsUsage() {
        StreamScanner scanner = responses.scanner(TOKENS, "o200k_base", false);

        Fixtures.feedOpenAi(scanner, "responses-stream-incomplete.sse");

        assertThat(scanner.usage()).isEqualTo(new Usage(19, 0, 0, 16));
        assertThat(scanner.failed()).isFalse();
        assertThat(scanner.outputTokensSeen()).isEqualTo(16);
    }

    @Test
    void failedResponseBillsItsUsageWhenItCarriesOne() {
        StreamScanner withUsage = responses.scanner(TOKENS, "o200k_base", false);
        StreamScanner without = responses.scanner(TOKENS, "o200k_base", false);

        withUsage.onEvent(Buffer.buffer("event: response.failed\ndata: {\"type\":\"response.failed\",\"sequence_number\":9,\"response\":"
                + "{\"id\":\"resp_1\",\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"x\"},"
                + "\"usage\":{\"input_tokens\":30,\"input_tokens_details\":{\"cached_tokens\":10},\"output_tokens\":7}}}\n\n"));
        without.onEvent(Buffer.buffer("event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"status\":\"failed\","
                + "\"usage\":null}}\n\n"));

        assertThat(withUsage.usage()).isEqualTo(new Usage(20, 10, 0, 7));
        assertThat(withUsage.failed()).isFalse();
        assertThat(without.usage()).isNull();
        assertThat(without.failed()).isTrue();
    }

    @Test
    void eventsBeforeTheEndCarryNoUsageAndOddEventsAreIgnored() {
        StreamScanner scanner = responses.scanner(TOKENS, "o200k_base", false);
        List<Buffer> events = Fixtures.events(Fixtures.read("openai", "responses-stream.sse"));

        events.subList(0, 5).forEach(scanner::onEvent);
        scanner.onEvent(Buffer.buffer(": keep-alive\n\n"));
        scanner.onEvent(Buffer.buffer("event: response.output_text.delta\ndata: {not json\n\n"));
        scanner.onEvent(Buffer.buffer("data: {\"type\":\"response.output_text.delta\",\"delta\":7}\n\n"));

        assertThat(scanner.usage()).isNull();
        assertThat(scanner.failed()).isFalse();
        assertThat(scanner.outputTokensSeen()).isEqualTo(o200k("Hi"));
    }

    @Test
    void marksWhatTheBodyDoesNotShowForTheEstimatorsReserves() {
        CallSpec s = parse("""
                {"model":"m","previous_response_id":"resp_1","prompt":{"id":"pmpt_1","version":"2"},"background":true,
                 "tools":[{"type":"web_search_preview"},{"type":"file_search","vector_store_ids":["vs_1"]},
                          {"type":"function","name":"f","parameters":{}},{"type":"code_interpreter","container":{"type":"auto"}}],
                 "input":[{"role":"user","content":[{"type":"input_file","file_id":"file-1"},
                          {"type":"input_file","file_url":"https://example.com/a.pdf"},
                          {"type":"input_file","filename":"b.pdf","file_data":"data:application/pdf;base64,JVBERi0x"}]}]}""");

        assertThat(s.hidden()).isEqualTo(new HiddenInput(true, true, 2, 3, true));
        assertThat(parse("{\"model\":\"m\",\"conversation\":\"conv_1\",\"input\":\"hi\"}").hidden().storedConversation()).isTrue();
        assertThat(parse("{\"model\":\"m\",\"conversation\":{\"id\":\"conv_1\"},\"input\":\"hi\"}").hidden().storedConversation()).isTrue();
        assertThat(parse("{\"model\":\"m\",\"input\":\"hi\"}").hidden()).isEqualTo(HiddenInput.NONE);
    }
}
