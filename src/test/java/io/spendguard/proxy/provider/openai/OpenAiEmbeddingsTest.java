package io.spendguard.proxy.provider.openai;

import static io.spendguard.proxy.provider.Fixtures.rejectedField;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.config.Provider;
import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.provider.Fixtures;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** OpenAI embeddings: input forms, no output ceiling, a {@code stream} field left to OpenAI, usage without output. */
class OpenAiEmbeddingsTest {
    private static final TokenCounter TOKENS = new TokenCounter();
    private final OpenAiEmbeddings embeddings = new OpenAiEmbeddings();

    private CallSpec parse(String json) {
        return embeddings.parse(new JsonObject(json));
    }

    @Test
    void describesItsRouteAndHasNoOutputLimit() {
        assertThat(embeddings.provider()).isEqualTo(Provider.OPENAI);
        assertThat(embeddings.route()).isEqualTo("embeddings");
        assertThat(embeddings.outputLimitField(new JsonObject())).isNull();
    }

    @Test
    void referenceExampleCountsTheSameTokensAsOpenAiAndBillsNoOutput() {
        CallSpec s = embeddings.parse(Fixtures.openAiJson("embeddings-request.json"));
        Usage billed = embeddings.usage(Fixtures.openAiJson("embeddings-response.json"));

        assertThat(s.texts()).containsExactly("The food was delicious and the waiter...");
        assertThat(TOKENS.count("cl100k_base", s.texts().get(0))).isEqualTo(billed.totalInput()).isEqualTo(8);
        assertThat(s.billsOutput()).isFalse();
        assertThat(s.maxOutputTokens()).isNull();
        assertThat(s.framingTokens()).isZero();
        assertThat(billed).isEqualTo(new Usage(8, 0, 0, 0));
    }

    @Test
    void refusesDimensionsThatAreNotAPositiveWholeNumber() {
        for (Object bad : new Object[] {-1, 0, 1.5, "256"}) {
            JsonObject body = new JsonObject().put("model", "text-embedding-3-small").put("input", "hi").put("dimensions", bad);
            assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(io.spendguard.proxy.error.ProxyException.class,
                    () -> embeddings.parse(body)).param()).as("%s", bad).isEqualTo("dimensions");
        }
        assertThat(embeddings.parse(new JsonObject().put("model", "m").put("input", "hi").put("dimensions", 256)).model()).isEqualTo("m");
    }

    @Test
    void tokenArraysBillTheirLength() {
        CallSpec s = embeddings.parse(Fixtures.openAiJson("embeddings-request-token-arrays.json"));

        assertThat(s.texts()).isEmpty();
        assertThat(s.framingTokens()).isEqualTo(8 + 2);
        assertThat(parse("{\"model\":\"m\",\"input\":[15339, 1917]}").framingTokens()).isEqualTo(2);
    }

    @Test
    void aListOfStringsIsOneInputEach() {
        CallSpec s = parse("{\"model\":\"m\",\"input\":[\"first document\",\"second\",\"\"]}");

        assertThat(s.texts()).containsExactly("first document", "second", "");
        assertThat(s.choices()).isEqualTo(1);
    }

    @Test
    void aStreamFieldIsNotReadAndTheCallIsBilledAsJson() {
        CallSpec s = parse("{\"model\":\"m\",\"input\":\"x\",\"stream\":true}");
        Buffer in = Buffer.buffer("{\"model\":\"m\",\"input\":\"x\",\"stream\":true}");

        assertThat(s.stream()).isFalse();
        assertThat(parse("{\"model\":\"m\",\"input\":\"x\",\"stream\":\"yes\"}").stream()).isFalse();
        assertThat(embeddings.withStreamUsage(in, new JsonObject(in))).isNull();
    }

    @Test
    void wrongTypesAreRefusedNamingTheField() {
        assertThat(rejectedField(embeddings, "{\"input\":\"x\"}")).isEqualTo("model");
        assertThat(rejectedField(embeddings, "{\"model\":\"m\"}")).isEqualTo("input");
        assertThat(rejectedField(embeddings, "{\"model\":\"m\",\"input\":{\"text\":\"x\"}}")).isEqualTo("input");
        assertThat(rejectedField(embeddings, "{\"model\":\"m\",\"input\":[]}")).isEqualTo("input");
        assertThat(rejectedField(embeddings, "{\"model\":\"m\",\"input\":[null]}")).isEqualTo("input[0]");
        assertThat(rejectedField(embeddings, "{\"model\":\"m\",\"input\":[[1,\"two\"]]}")).isEqualTo("input[0][1]");
    }

    @Test
    void usageIsPromptTokensWithNoOutput() {
        assertThat(embeddings.usage(new JsonObject("{\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":12}}")))
                .isEqualTo(new Usage(12, 0, 0, 0));
        assertThat(embeddings.usage(new JsonObject("{\"object\":\"list\",\"data\":[]}"))).isNull();
    }
}
