package io.spendguard.proxy.provider.openai;

import static io.spendguard.proxy.provider.Fixtures.rejectedField;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.config.Provider;
import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.provider.Fixtures;
import io.spendguard.proxy.provider.StreamScanner;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** OpenAI legacy completions: every prompt form, the output ceiling's multipliers, field errors, usage and streams. */
class OpenAiCompletionsTest {
    private static final TokenCounter TOKENS = new TokenCounter();
    private final OpenAiCompletions completions = new OpenAiCompletions();

    private CallSpec parse(String json) {
        return completions.parse(new JsonObject(json));
    }

    @Test
    void describesItsRouteAndNamesMaxTokensAsTheOutputLimit() {
        assertThat(completions.provider()).isEqualTo(Provider.OPENAI);
        assertThat(completions.route()).isEqualTo("completions");
        assertThat(completions.outputLimitField(new JsonObject())).isEqualTo("max_tokens");
    }

    @Test
    void referenceExampleCountsTheSamePromptTokensAsOpenAi() {
        CallSpec s = completions.parse(Fixtures.openAiJson("completions-request.json"));
        Usage billed = completions.usage(Fixtures.openAiJson("completions-response.json"));

        assertThat(s.texts()).containsExactly("Say this is a test");
        assertThat(s.framingTokens()).as("a prompt has no message framing").isZero();
        assertThat(TOKENS.count("cl100k_base", s.texts().get(0))).isEqualTo(billed.totalInput()).isEqualTo(5);
        assertThat(s.maxOutputTokens()).isEqualTo(7);
        assertThat(s.choices()).isEqualTo(1);
        assertThat(s.stream()).isFalse();
        assertThat(s.billsOutput()).isTrue();
    }

    @Test
    void everyPromptFormIsBilled() {
        CallSpec strings = parse("{\"model\":\"m\",\"prompt\":[\"one\",\"two\",\"three\"]}");
        CallSpec tokens = parse("{\"model\":\"m\",\"prompt\":[1212, 318, 257, 1332]}");
        CallSpec tokenLists = parse("{\"model\":\"m\",\"prompt\":[[1212, 318],[257, 1332, 13]]}");

        assertThat(strings.texts()).containsExactly("one", "two", "three");
        assertThat(strings.choices()).as("one completion per prompt").isEqualTo(3);
        assertThat(tokens.texts()).isEmpty();
        assertThat(tokens.framingTokens()).as("a token array bills its length").isEqualTo(4);
        assertThat(tokens.choices()).isEqualTo(1);
        assertThat(tokenLists.framingTokens()).isEqualTo(5);
        assertThat(tokenLists.choices()).isEqualTo(2);
    }

    @Test
    void suffixIsBilledAndEchoIsRead() {
        CallSpec s = parse("{\"model\":\"m\",\"prompt\":\"def add(a, b):\",\"suffix\":\"    return c\",\"echo\":true}");

        assertThat(s.texts()).containsExactly("def add(a, b):", "    return c");
    }

    @Test
    void bestOfAndNMultiplyTheOutputCeilingPerPrompt() {
        assertThat(parse("{\"model\":\"m\",\"prompt\":\"x\",\"n\":3}").choices()).isEqualTo(3);
        assertThat(parse("{\"model\":\"m\",\"prompt\":\"x\",\"n\":2,\"best_of\":5}").choices()).isEqualTo(5);
        assertThat(parse("{\"model\":\"m\",\"prompt\":[\"x\",\"y\"],\"n\":2,\"best_of\":3}").choices()).isEqualTo(6);
    }

    @Test
    void absentMaxTokensLeavesTheCeilingToTheEstimatorAndZeroIsAllowed() {
        assertThat(parse("{\"model\":\"m\",\"prompt\":\"x\"}").maxOutputTokens()).isNull();
        assertThat(parse("{\"model\":\"m\",\"prompt\":\"x\",\"max_tokens\":0,\"echo\":true,\"logprobs\":0}").maxOutputTokens()).isZero();
    }

    @Test
    void wrongTypesAreRefusedNamingTheField() {
        assertThat(rejectedField(completions, "{\"prompt\":\"x\"}")).isEqualTo("model");
        assertThat(rejectedField(completions, "{\"model\":\"m\"}")).isEqualTo("prompt");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":42}")).isEqualTo("prompt");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":[]}")).isEqualTo("prompt");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":[\"a\",5]}")).isEqualTo("prompt[1]");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":[1,\"a\"]}")).isEqualTo("prompt[1]");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":[[1,2],[]]}")).isEqualTo("prompt[1]");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":[[1.5]]}")).isEqualTo("prompt[0][0]");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":[3,-1]}")).isEqualTo("prompt[1]");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":\"x\",\"suffix\":1}")).isEqualTo("suffix");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":\"x\",\"max_tokens\":-1}")).isEqualTo("max_tokens");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":\"x\",\"max_tokens\":\"7\"}")).isEqualTo("max_tokens");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":\"x\",\"n\":0}")).isEqualTo("n");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":\"x\",\"best_of\":\"3\"}")).isEqualTo("best_of");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":\"x\",\"echo\":\"yes\"}")).isEqualTo("echo");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":\"x\",\"stream\":1}")).isEqualTo("stream");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":\"x\",\"stream_options\":true}")).isEqualTo("stream_options");
        assertThat(rejectedField(completions, "{\"model\":\"m\",\"prompt\":\"x\",\"stream_options\":{\"include_usage\":1}}"))
                .isEqualTo("stream_options.include_usage");
    }

    @Test
    void asksForStreamUsageByInsertingTheOptionAndKeepingEveryOtherByte() {
        String original = "{ \"model\": \"gpt-3.5-turbo-instruct\",\n \"prompt\": \"caf\\u00e9\", \"stream\": true }";
        Buffer in = Buffer.buffer(original, "UTF-8");
        String asked = "{\"model\":\"m\",\"prompt\":\"x\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}";

        Buffer out = completions.withStreamUsage(in, new JsonObject(in));

        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("{\"stream_options\":{\"include_usage\":true}," + original.substring(1));
        assertThat(completions.withStreamUsage(Buffer.buffer(asked), new JsonObject(asked))).isNull();
    }

    @Test
    void usageIsReadLikeChatWithCachedTokens() {
        assertThat(completions.usage(Fixtures.openAiJson("completions-response.json"))).isEqualTo(new Usage(5, 0, 0, 7));
        assertThat(completions.usage(new JsonObject("{\"usage\":{\"prompt_tokens\":2048,\"completion_tokens\":16,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":1024}}}"))).isEqualTo(new Usage(1024, 1024, 0, 16));
        assertThat(completions.usage(new JsonObject("{\"choices\":[]}"))).isNull();
    }

    @Test
    void streamReportsUsageCountsChoiceTextAndDropsTheUsageChunkOnlyWhenAsked() {
        StreamScanner dropping = completions.scanner(TOKENS, "cl100k_base", true);
        StreamScanner keeping = completions.scanner(TOKENS, "cl100k_base", false);

        List<Boolean> dropped = Fixtures.feedOpenAi(dropping, "completions-stream-with-usage.sse");
        List<Boolean> kept = Fixtures.feedOpenAi(keeping, "completions-stream-with-usage.sse");

        assertThat(dropped).containsExactly(true, true, true, true, true, true, true, false, true);
        assertThat(kept).containsOnly(true);
        assertThat(dropping.usage()).isEqualTo(new Usage(5, 0, 0, 7));
        assertThat(dropping.outputTokensSeen()).as("\\n\\n, This, is, indeed, a, test").isEqualTo(6);
        assertThat(dropping.failed()).isFalse();
    }
}
