package io.spendguard.proxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenAiChatTest {
    private static final TokenCounter TOKENS = new TokenCounter();
    private final OpenAiChat chat = new OpenAiChat();

    private static JsonObject body(String json) {
        return new JsonObject(json);
    }

    private CallSpec parse(String json) {
        return chat.parse(body(json));
    }

    private ProxyException invalid(String json) {
        ProxyException e = catchThrowableOfType(ProxyException.class, () -> parse(json));
        assertThat(e).as("expected INVALID_REQUEST for %s", json).isNotNull();
        assertThat(e.error()).isEqualTo(ProxyError.INVALID_REQUEST);
        return e;
    }

    // ---------------------------------------------------------------- parse

    @Test
    void describesItsRoute() {
        assertThat(chat.provider()).isEqualTo(Provider.OPENAI);
        assertThat(chat.route()).isEqualTo("chat_completions");
    }

    @Test
    void parsesStringContentWithFramingAndDefaults() {
        CallSpec s = parse("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hello world\"}]}");

        assertThat(s.model()).isEqualTo("gpt-4o");
        assertThat(s.stream()).isFalse();
        assertThat(s.texts()).containsExactly("user", "hello world");
        assertThat(s.framingTokens()).isEqualTo(3 + 3); // 3 per message + 3 reply priming
        assertThat(s.imageTokens()).isZero();
        assertThat(s.maxOutputTokens()).isNull();
        assertThat(s.choices()).isEqualTo(1);
        assertThat(s.billsOutput()).isTrue();
    }

    @Test
    void framingGrowsByThreePerMessage() {
        CallSpec s = parse("""
                {"model":"gpt-4o","messages":[
                  {"role":"system","content":"be brief"},
                  {"role":"user","content":"hi"},
                  {"role":"assistant","content":"hello"},
                  {"role":"user","content":"bye"}]}""");

        assertThat(s.framingTokens()).isEqualTo(4 * 3 + 3);
        assertThat(s.texts()).containsExactly("system", "be brief", "user", "hi", "assistant", "hello", "user", "bye");
    }

    @Test
    void nameAddsItsTextAndOneToken() {
        CallSpec s = parse("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"name\":\"example_user\",\"content\":\"x\"}]}");

        assertThat(s.texts()).containsExactly("system", "example_user", "x");
        assertThat(s.framingTokens()).isEqualTo(3 + 1 + 3);
    }

    @Test
    void arrayPartsCountTextAndImagesAtFixedCost() {
        CallSpec s = parse("""
                {"model":"gpt-4o","messages":[{"role":"user","content":[
                  {"type":"text","text":"What is in these images?"},
                  {"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"low"}},
                  {"type":"image_url","image_url":{"url":"https://example.com/b.png"}},
                  {"type":"image_url","image_url":{"url":"https://example.com/c.png","detail":"high"}},
                  {"type":"text","text":"Compare them."}]}]}""");

        assertThat(s.imageTokens()).isEqualTo(85 + 765 + 765);
        assertThat(s.texts()).containsExactly("user", "What is in these images?", "Compare them.");
        assertThat(s.texts()).noneMatch(t -> t.contains("example.com"));
    }

    @Test
    void lowDetailImageIs85AndDefaultIs765() {
        CallSpec low = parse("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
                + "\"image_url\":{\"url\":\"data:image/png;base64,AAAA\",\"detail\":\"low\"}}]}]}");
        CallSpec auto = parse("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
                + "\"image_url\":{\"url\":\"data:image/png;base64,AAAA\",\"detail\":\"auto\"}}]}]}");

        assertThat(low.imageTokens()).isEqualTo(85);
        assertThat(auto.imageTokens()).isEqualTo(765);
        assertThat(low.texts()).containsExactly("user");
    }

    @Test
    void unknownPartTypeIsCountedAsItsJson() {
        CallSpec s = parse("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"QUJD\",\"format\":\"wav\"}}]}]}");

        assertThat(s.texts()).hasSize(2);
        assertThat(new JsonObject(s.texts().get(1)).getString("type")).isEqualTo("input_audio");
    }

    @Test
    void toolDefinitionsAreCountedAsJson() {
        String tool = "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather for a city\","
                + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}";
        CallSpec s = parse("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"}],\"tools\":[" + tool + "]}");

        assertThat(s.texts()).hasSize(3);
        assertThat(new JsonObject(s.texts().get(2))).isEqualTo(new JsonObject(tool));
    }

    @Test
    void legacyFunctionDefinitionsAreCounted() {
        CallSpec s = parse("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"functions\":[{\"name\":\"f\",\"parameters\":{}}]}");

        assertThat(s.texts()).anyMatch(t -> t.contains("\"name\":\"f\""));
    }

    @Test
    void assistantToolCallsAndToolResultsAreCounted() {
        CallSpec s = parse("""
                {"model":"gpt-4o","messages":[
                  {"role":"user","content":"weather in Paris?"},
                  {"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123","type":"function",
                     "function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]},
                  {"role":"tool","tool_call_id":"call_abc123","content":"18C and sunny"}]}""");

        assertThat(s.framingTokens()).isEqualTo(3 * 3 + 3);
        assertThat(s.texts()).contains("assistant", "tool", "call_abc123", "18C and sunny");
        assertThat(s.texts()).filteredOn(t -> t.startsWith("{")).singleElement().satisfies(t -> {
            JsonObject fn = new JsonObject(t);
            assertThat(fn.getString("name")).isEqualTo("get_weather");
            assertThat(fn.getString("arguments")).isEqualTo("{\"city\":\"Paris\"}");
        });
    }

    @Test
    void jsonSchemaResponseFormatIsCountedButJsonObjectIsNot() {
        CallSpec schema = parse("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"r\",\"schema\":{\"type\":\"object\"}}}}");
        CallSpec plain = parse("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"response_format\":{\"type\":\"json_object\"}}");

        assertThat(schema.texts()).hasSize(3);
        assertThat(schema.texts().get(2)).contains("json_schema");
        assertThat(plain.texts()).containsExactly("user", "x");
    }

    @Test
    void webSearchOptionsCountAsOneHostedTool() {
        String msgs = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]";
        assertThat(parse(msgs + ",\"web_search_options\":{}}").hidden().hostedTools()).isEqualTo(1);
        assertThat(parse(msgs + "}").hidden().hostedTools()).isZero();
    }

    @Test
    void modelNamesAreBoundedTo256Bytes() {
        String msgs = ",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
        assertThat(parse("{\"model\":\"" + "m".repeat(256) + "\"" + msgs).model()).hasSize(256);
        assertThat(invalid("{\"model\":\"gpt-4o-mini" + "z".repeat(246) + "\"" + msgs).param()).isEqualTo("model");
        // 129 characters, 258 bytes
        assertThat(invalid("{\"model\":\"" + "é".repeat(129) + "\"" + msgs).getMessage()).contains("256 bytes");
    }

    @Test
    void bothOutputLimitsArePricedOnTheLarger() {
        String msgs = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],";
        CallSpec legacyLarger = parse(msgs + "\"max_tokens\":500,\"max_completion_tokens\":200}");
        CallSpec completionLarger = parse(msgs + "\"max_completion_tokens\":900,\"max_tokens\":300}");
        CallSpec legacy = parse(msgs + "\"max_tokens\":500}");
        CallSpec completion = parse(msgs + "\"max_completion_tokens\":200}");

        assertThat(legacyLarger.maxOutputTokens()).isEqualTo(500);
        assertThat(completionLarger.maxOutputTokens()).isEqualTo(900);
        assertThat(legacy.maxOutputTokens()).isEqualTo(500);
        assertThat(completion.maxOutputTokens()).isEqualTo(200);
    }

    @Test
    void wholeNumberWrittenAsDecimalIsAccepted() {
        CallSpec s = parse("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":100.0}");

        assertThat(s.maxOutputTokens()).isEqualTo(100);
    }

    @Test
    void nSetsChoicesAndStreamIsRead() {
        CallSpec s = parse("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":3,\"stream\":true}");

        assertThat(s.choices()).isEqualTo(3);
        assertThat(s.stream()).isTrue();
    }

    @Test
    void missingModelNamesModel() {
        assertThat(invalid("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").param()).isEqualTo("model");
        assertThat(invalid("{\"model\":\"  \",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").param()).isEqualTo("model");
        assertThat(invalid("{\"model\":42,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").param()).isEqualTo("model");
    }

    @Test
    void messagesNotAnArrayNamesMessages() {
        ProxyException e = invalid("{\"model\":\"gpt-4o\",\"messages\":\"hello\"}");

        assertThat(e.param()).isEqualTo("messages");
        assertThat(e.code()).isEqualTo("invalid_request");
        assertThat(e.getMessage()).contains("messages");
    }

    @Test
    void missingOrEmptyMessagesNamesMessages() {
        assertThat(invalid("{\"model\":\"gpt-4o\",\"messages\":[]}").param()).isEqualTo("messages");
        assertThat(invalid("{\"model\":\"gpt-4o\"}").param()).isEqualTo("messages");
    }

    @Test
    void messageThatIsNotAnObjectNamesItsIndex() {
        assertThat(invalid("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},\"oops\"]}").param())
                .isEqualTo("messages[1]");
    }

    @Test
    void missingRoleNamesIt() {
        assertThat(invalid("{\"model\":\"gpt-4o\",\"messages\":[{\"content\":\"x\"}]}").param()).isEqualTo("messages[0].role");
    }

    @Test
    void numericContentNamesContent() {
        assertThat(invalid("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"user\",\"content\":42}]}")
                .param()).isEqualTo("messages[1].content");
    }

    @Test
    void textPartWithoutTextNamesThePart() {
        assertThat(invalid("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}").param())
                .isEqualTo("messages[0].content[0].text");
    }

    @Test
    void nonStringNameNamesIt() {
        assertThat(invalid("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"name\":7,\"content\":\"x\"}]}").param())
                .isEqualTo("messages[0].name");
    }

    @Test
    void maxTokensAsStringNamesIt() {
        assertThat(invalid("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":\"100\"}")
                .param()).isEqualTo("max_tokens");
    }

    @Test
    void maxTokensZeroNamesIt() {
        ProxyException e = invalid("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}");

        assertThat(e.param()).isEqualTo("max_tokens");
        assertThat(e.getMessage()).contains(">= 1");
    }

    @Test
    void fractionalOrHugeIntegersAreRejected() {
        assertThat(invalid("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_completion_tokens\":1.5}")
                .param()).isEqualTo("max_completion_tokens");
        assertThat(invalid("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":3000000000}")
                .param()).isEqualTo("n");
        assertThat(invalid("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":0}")
                .param()).isEqualTo("n");
    }

    @Test
    void hugeNegativeMaxTokensIsRejected() {
        assertThat(invalid("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"max_tokens\":-3000000000}").param()).isEqualTo("max_tokens");
    }

    @Test
    void streamYesNamesStream() {
        assertThat(invalid("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":\"yes\"}")
                .param()).isEqualTo("stream");
    }

    @Test
    void badStreamOptionsNameTheirField() {
        assertThat(invalid("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream_options\":true}")
                .param()).isEqualTo("stream_options");
        assertThat(invalid("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"stream_options\":{\"include_usage\":\"yes\"}}").param()).isEqualTo("stream_options.include_usage");
    }

    @Test
    void toolsNotAnArrayNamesTools() {
        assertThat(invalid("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":{}}").param())
                .isEqualTo("tools");
    }

    // ---------------------------------------------------------------- withStreamUsage

    @Test
    void withStreamUsageInsertsOptionAfterOpeningBraceAndKeepsEveryOtherByte() {
        String original = " \n\t{ \"model\" :  \"gpt-4o\",\n  \"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9 \\ud83d\\ude00 na\u00efve\"}] ,"
                + "\"stream\" : true   }\n";
        Buffer in = Buffer.buffer(original, "UTF-8");

        Buffer out = chat.withStreamUsage(in, new JsonObject(in));

        String expected = " \n\t{" + "\"stream_options\":{\"include_usage\":true}," + original.substring(4);
        assertThat(out.getBytes()).isEqualTo(expected.getBytes(StandardCharsets.UTF_8));
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("caf\\u00e9 \\ud83d\\ude00");
        JsonObject parsed = new JsonObject(out);
        assertThat(parsed.getJsonObject("stream_options").getBoolean("include_usage")).isTrue();
        assertThat(parsed.getJsonArray("messages").getJsonObject(0).getString("content")).isEqualTo("café 😀 naïve");
        assertThat(in.toString(StandardCharsets.UTF_8)).as("original buffer untouched").isEqualTo(original);
    }

    @Test
    void withStreamUsageKeepsBodyWithByteOrderMarkValidJson() {
        Buffer in = Buffer.buffer().appendBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF})
                .appendString("{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[]}");

        Buffer out = chat.withStreamUsage(in, new JsonObject(in));

        assertThat(catchThrowable(() -> new JsonObject(out))).isNull();
        assertThat(new JsonObject(out).getJsonObject("stream_options").getBoolean("include_usage")).isTrue();
    }

    @Test
    void withStreamUsageIsNullWhenUsageAlreadyRequested() {
        Buffer in = Buffer.buffer("{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[]}");

        assertThat(chat.withStreamUsage(in, new JsonObject(in))).isNull();
    }

    @Test
    void withStreamUsageSetsIncludeUsageWhenFalse() {
        Buffer in = Buffer.buffer("{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":false,\"x\":1},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        JsonObject body = new JsonObject(in);

        JsonObject out = new JsonObject(chat.withStreamUsage(in, body));

        assertThat(out.getJsonObject("stream_options").getBoolean("include_usage")).isTrue();
        assertThat(out.getJsonObject("stream_options").getInteger("x")).isEqualTo(1);
        assertThat(out.getString("model")).isEqualTo("gpt-4o");
        assertThat(out.getJsonArray("messages")).isEqualTo(body.getJsonArray("messages"));
        assertThat(body.getJsonObject("stream_options").getBoolean("include_usage")).as("parsed body not mutated").isFalse();
    }

    @Test
    void withStreamUsageSetsIncludeUsageWhenStreamOptionsHasNoIt() {
        Buffer in = Buffer.buffer("{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{},\"messages\":[]}");

        JsonObject out = new JsonObject(chat.withStreamUsage(in, new JsonObject(in)));

        assertThat(out.getJsonObject("stream_options").getBoolean("include_usage")).isTrue();
    }

    @Test
    void withStreamUsageRequestsUsageWhenStreamOptionsIsNull() {
        Buffer in = Buffer.buffer("{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":null,\"messages\":[]}");

        Buffer out = chat.withStreamUsage(in, new JsonObject(in));

        assertThat(out).isNotNull();
        assertThat(new JsonObject(out).getJsonObject("stream_options")).isNotNull();
        assertThat(new JsonObject(out).getJsonObject("stream_options").getBoolean("include_usage")).isTrue();
    }

    // ---------------------------------------------------------------- usage

    @Test
    void usageMapsPromptCachedAndCompletionTokens() {
        JsonObject reply = new JsonObject("""
                {"id":"chatcmpl-1","object":"chat.completion","choices":[],
                 "usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,
                          "prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},
                          "completion_tokens_details":{"reasoning_tokens":0}}}""");

        assertThat(chat.usage(reply)).isEqualTo(new Usage(2006 - 1920, 1920, 0, 300));
    }

    @Test
    void usageWithoutDetailsIsAllUncached() {
        JsonObject reply = new JsonObject("{\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}");

        assertThat(chat.usage(reply)).isEqualTo(new Usage(9, 0, 0, 12));
    }

    @Test
    void cachedTokensAreCappedAtPromptTokens() {
        JsonObject reply = new JsonObject("{\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":1,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":50}}}");

        assertThat(chat.usage(reply)).isEqualTo(new Usage(0, 10, 0, 1));
    }

    @Test
    void replyWithoutUsageHasNone() {
        assertThat(chat.usage(new JsonObject("{\"id\":\"x\",\"choices\":[]}"))).isNull();
        assertThat(chat.usage(new JsonObject("{\"usage\":null}"))).isNull();
    }

    // ---------------------------------------------------------------- stream scanner

    private static String chunk(String choices, String usage) {
        return "{\"id\":\"chatcmpl-AbC\",\"object\":\"chat.completion.chunk\",\"created\":1727000000,\"model\":\"gpt-4o-mini-2024-07-18\","
                + "\"system_fingerprint\":\"fp_1\",\"choices\":" + choices + ",\"usage\":" + usage + "}";
    }

    private static String delta(String delta, String finish) {
        return "[{\"index\":0,\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":" + finish + "}]";
    }

    private static final String USAGE_JSON = "{\"prompt_tokens\":19,\"completion_tokens\":10,\"total_tokens\":29,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":4,\"audio_tokens\":0},"
            + "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0}}";

    /** A real-shaped stream: role chunk, content deltas, finish chunk, usage-only chunk, [DONE]. */
    static List<String> openAiStream(String terminator) {
        List<String> data = List.of(
                chunk(delta("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}", "null"), "null"),
                chunk(delta("{\"content\":\"Hello\"}", "null"), "null"),
                chunk(delta("{\"content\":\" world\"}", "null"), "null"),
                chunk(delta("{\"content\":\", café ☕!\"}", "null"), "null"),
                chunk(delta("{}", "\"stop\""), "null"),
                chunk("[]", USAGE_JSON),
                "[DONE]");
        List<String> events = new ArrayList<>();
        for (String d : data) {
            events.add("data: " + d + terminator + terminator);
        }
        return events;
    }

    private static List<Boolean> feed(StreamScanner scanner, List<String> events) {
        List<Boolean> kept = new ArrayList<>();
        for (String e : events) {
            kept.add(scanner.onEvent(Buffer.buffer(e, "UTF-8")));
        }
        return kept;
    }

    @Test
    void scannerReportsUsageFromFinalChunkAndCountsDeltas() {
        StreamScanner scanner = chat.scanner(TOKENS, "o200k_base", false);

        List<Boolean> kept = feed(scanner, openAiStream("\n"));

        assertThat(kept).containsOnly(true);
        assertThat(scanner.usage()).isEqualTo(new Usage(15, 4, 0, 10));
        long expected = TOKENS.count("o200k_base", "Hello") + TOKENS.count("o200k_base", " world")
                + TOKENS.count("o200k_base", ", café ☕!");
        assertThat(scanner.outputTokensSeen()).isEqualTo(expected).isGreaterThanOrEqualTo(4);
    }

    @Test
    void scannerHasNoUsageBeforeTheUsageChunk() {
        StreamScanner scanner = chat.scanner(TOKENS, "o200k_base", true);
        List<String> events = openAiStream("\n");

        List<Boolean> kept = feed(scanner, events.subList(0, 5));

        assertThat(kept).containsOnly(true);
        assertThat(scanner.usage()).isNull();
        assertThat(scanner.outputTokensSeen()).isPositive();
    }

    @Test
    void scannerDropsUsageOnlyChunkWhenAsked() {
        StreamScanner scanner = chat.scanner(TOKENS, "o200k_base", true);

        List<Boolean> kept = feed(scanner, openAiStream("\n"));

        assertThat(kept).containsExactly(true, true, true, true, true, false, true);
        assertThat(scanner.usage()).isEqualTo(new Usage(15, 4, 0, 10));
    }

    @Test
    void scannerHandlesCrlfEvents() {
        StreamScanner scanner = chat.scanner(TOKENS, "cl100k_base", true);

        List<Boolean> kept = feed(scanner, openAiStream("\r\n"));

        assertThat(kept).containsExactly(true, true, true, true, true, false, true);
        assertThat(scanner.usage()).isEqualTo(new Usage(15, 4, 0, 10));
        assertThat(scanner.outputTokensSeen()).isPositive();
    }

    @Test
    void scannerIgnoresDoneCommentsAndNonJson() {
        StreamScanner scanner = chat.scanner(TOKENS, "o200k_base", true);

        assertThat(scanner.onEvent(Buffer.buffer("data: [DONE]\n\n"))).isTrue();
        assertThat(scanner.onEvent(Buffer.buffer(": keep-alive\n\n"))).isTrue();
        assertThat(scanner.onEvent(Buffer.buffer("data: {not json\n\n"))).isTrue();
        assertThat(scanner.usage()).isNull();
        assertThat(scanner.outputTokensSeen()).isZero();
    }

    @Test
    void scannerKeepsEmptyChoicesChunkWithoutUsage() {
        // Azure OpenAI sends a first chunk with empty choices and prompt_filter_results, no usage.
        StreamScanner scanner = chat.scanner(TOKENS, "o200k_base", true);

        assertThat(scanner.onEvent(Buffer.buffer("data: {\"id\":\"\",\"choices\":[],\"prompt_filter_results\":[]}\n\n"))).isTrue();
        assertThat(scanner.usage()).isNull();
    }

    @Test
    void scannerCountsToolCallNameAndArguments() {
        StreamScanner scanner = chat.scanner(TOKENS, "o200k_base", false);

        scanner.onEvent(Buffer.buffer("data: " + chunk(delta("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
                + "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}", "null"), "null")
                + "\n\n"));
        scanner.onEvent(Buffer.buffer("data: " + chunk(delta("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
                + "\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}", "null"), "null") + "\n\n"));

        assertThat(scanner.outputTokensSeen()).isEqualTo(
                TOKENS.count("o200k_base", "get_weather") + TOKENS.count("o200k_base", "{\"city\":\"Paris\"}"));
    }

    @Test
    void scannerCountsEveryChoiceWhenNIsAboveOne() {
        StreamScanner scanner = chat.scanner(TOKENS, "o200k_base", false);

        scanner.onEvent(Buffer.buffer("data: " + chunk("[{\"index\":0,\"delta\":{\"content\":\"hello world\"}},"
                + "{\"index\":1,\"delta\":{\"content\":\"hello world\"}}]", "null") + "\n\n"));

        assertThat(scanner.outputTokensSeen()).isEqualTo(4);
    }

    @Test
    void scannerCountsMultiLineData() {
        StreamScanner scanner = chat.scanner(TOKENS, "o200k_base", false);

        scanner.onEvent(Buffer.buffer("data: {\"choices\":[{\"index\":0,\n"
                + "data: \"delta\":{\"content\":\"hello world\"}}]}\n\n"));

        assertThat(scanner.outputTokensSeen()).isEqualTo(2);
    }
}
