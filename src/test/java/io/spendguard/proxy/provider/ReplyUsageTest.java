package io.spendguard.proxy.provider;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The usage scan of a JSON reply gives every shape exactly the usage that parsing the whole reply gives. */
class ReplyUsageTest {
    private static final String USAGE = "{\"prompt_tokens\":12,\"completion_tokens\":3,\"prompt_tokens_details\":{\"cached_tokens\":4}}";

    /** What the relay read before: the whole reply parsed, null when it is not a JSON object. */
    private static JsonObject whole(String body) {
        try {
            JsonObject all = new JsonObject(body);
            JsonObject only = new JsonObject();
            return all.containsKey("usage") ? only.put("usage", all.getValue("usage")) : only;
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Test
    void readsTheSameUsageAsTheWholeReplyForEveryShapeOfReply() {
        List<String> replies = List.of(
                "{\"id\":\"c1\",\"choices\":[{\"message\":{\"content\":\"hi\"}}],\"usage\":" + USAGE + "}",
                "{\"usage\":" + USAGE + ",\"choices\":[{\"message\":{\"content\":\"hi\"}}]}",
                // a usage key nested in the content is not the reply's usage
                "{\"choices\":[{\"message\":{\"usage\":{\"prompt_tokens\":999}}}],\"model\":\"m\"}",
                // multi-byte text before usage: offsets are bytes, not characters
                "{\"choices\":[{\"message\":{\"content\":\"h\u00e9llo \u4e16\u754c \ud83d\ude00\"}}],\"usage\":" + USAGE + "}",
                // the last of repeated keys wins, as in a parsed object
                "{\"usage\":{\"prompt_tokens\":1},\"usage\":" + USAGE + "}",
                "{\"usage\":null}", "{\"usage\":7}", "{\"usage\":\"lots\"}", "{\"usage\":[1,2]}",
                "{}", "  {\"usage\": " + USAGE + " }\n",
                "[]", "\"text\"", "{\"usage\":" + USAGE + "} trailing", "{\"usage\":" + USAGE, "not json", "");
        List<ApiShape> shapes = List.of(new OpenAiChat(), new OpenAiCompletions(), new OpenAiEmbeddings(), new OpenAiResponses(),
                new AnthropicMessages());
        for (String reply : replies) {
            JsonObject scanned = ReplyUsage.of(Buffer.buffer(reply));
            JsonObject parsed = whole(reply);
            assertThat(scanned == null).as("not a JSON object: " + reply).isEqualTo(parsed == null);
            if (parsed != null) {
                for (ApiShape shape : shapes) {
                    assertThat(shape.usage(scanned)).as(shape.route() + " " + reply).isEqualTo(shape.usage(parsed));
                }
            }
        }
        assertThat(ReplyUsage.of(Buffer.buffer(replies.get(0))).getJsonObject("usage")).isEqualTo(new JsonObject(USAGE));
    }

    @Test
    void theShapesReadTheirUsageFromTheScan() {
        Buffer reply = Buffer.buffer("{\"choices\":[{\"message\":{\"content\":\"hi\"}}],\"usage\":" + USAGE + "}");
        var usage = new OpenAiChat().usage(ReplyUsage.of(reply));
        assertThat(usage.uncachedInput()).isEqualTo(8);
        assertThat(usage.cacheRead()).isEqualTo(4);
        assertThat(usage.output()).isEqualTo(3);
    }
}
