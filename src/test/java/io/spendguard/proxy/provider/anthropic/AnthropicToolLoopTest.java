package io.spendguard.proxy.provider.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.provider.Fixtures;
import io.spendguard.proxy.provider.ToolCalls;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * The {@code tool_use} blocks AnthropicMessages reads from a request's history for loop detection
 * ({@link CallSpec#repeatedToolCalls()}), against the fixtures in src/test/resources/fixtures/anthropic.
 */
class AnthropicToolLoopTest {
    private final AnthropicMessages messages = new AnthropicMessages();

    private int repeated(String fixture) {
        return messages.parse(new JsonObject(Fixtures.read("anthropic", fixture))).repeatedToolCalls();
    }

    private int repeated(JsonArray history) {
        return messages.parse(new JsonObject().put("model", "claude-sonnet-4-5").put("max_tokens", 1024)
                .put("messages", history)).repeatedToolCalls();
    }

    private static JsonObject assistant(JsonObject... blocks) {
        JsonArray content = new JsonArray();
        for (JsonObject b : blocks) {
            content.add(b);
        }
        return new JsonObject().put("role", "assistant").put("content", content);
    }

    private static JsonObject toolUse(String name, JsonObject input) {
        return new JsonObject().put("type", "tool_use").put("id", "toolu_x").put("name", name).put("input", input);
    }

    @Test
    void noToolUseIsZero() {
        assertThat(repeated("messages-request-basic.json")).isZero();
    }

    @Test
    void oneToolUseIsOne() {
        assertThat(repeated("messages-request-blocks.json")).isEqualTo(1);
    }

    @Test
    void repeatedToolUseInputsCompareAsJson() {
        assertThat(repeated("messages-request-tool-loop.json")).isEqualTo(3);
    }

    @Test
    void sameToolWithDifferentInputsIsDistinct() {
        assertThat(repeated("messages-request-tool-distinct.json")).isEqualTo(1);
    }

    @Test
    void nestedInputsCompareAsJsonWithNumbersByValue() {
        JsonArray history = new JsonArray().add(new JsonObject().put("role", "user").put("content", "go"))
                .add(assistant(toolUse("query", new JsonObject("{\"filter\":{\"ids\":[1,2],\"active\":true},\"limit\":10}"))))
                .add(assistant(toolUse("query", new JsonObject("{\"limit\":10.0,\"filter\":{\"active\":true,\"ids\":[1,2]}}"))))
                .add(assistant(toolUse("query", new JsonObject("{\"limit\":10,\"filter\":{\"active\":true,\"ids\":[2,1]}}"))));

        assertThat(repeated(history)).isEqualTo(2);
    }

    @Test
    void absentInputEqualsAnEmptyObject() {
        JsonArray history = new JsonArray().add(new JsonObject().put("role", "user").put("content", "go"))
                .add(assistant(new JsonObject().put("type", "tool_use").put("id", "toolu_1").put("name", "now")))
                .add(assistant(toolUse("now", new JsonObject())));

        assertThat(repeated(history)).isEqualTo(2);
    }

    @Test
    void toolUseOutsideAssistantMessagesIsNotCounted() {
        JsonArray history = new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", new JsonArray()
                        .add(toolUse("f", new JsonObject())).add(toolUse("f", new JsonObject()))));

        assertThat(repeated(history)).isZero();
    }

    @Test
    void hugeHistoryIsCountedUpToTheCap() {
        JsonArray history = new JsonArray().add(new JsonObject().put("role", "user").put("content", "price?"));
        JsonArray blocks = new JsonArray();
        for (int i = 0; i < 50_000; i++) {
            blocks.add(toolUse("get_stock_price", new JsonObject().put("ticker", "AAPL").put("exchange", "NASDAQ")));
        }
        history.add(new JsonObject().put("role", "assistant").put("content", blocks));

        assertThat(repeated(history)).isEqualTo(ToolCalls.MAX_CALLS);
    }

    @Test
    void hugeHistoryOfDistinctCallsIsOne() {
        JsonArray history = new JsonArray().add(new JsonObject().put("role", "user").put("content", "count"));
        for (int i = 0; i < 50_000; i++) {
            history.add(assistant(toolUse("step", new JsonObject().put("n", i))));
            history.add(new JsonObject().put("role", "user").put("content", new JsonArray().add(new JsonObject()
                    .put("type", "tool_result").put("tool_use_id", "toolu_x").put("content", "ok"))));
        }

        assertThat(repeated(history)).isEqualTo(1);
    }
}
