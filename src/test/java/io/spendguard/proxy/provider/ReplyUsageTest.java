package io.spendguard.proxy.provider;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.provider.anthropic.AnthropicMessages;
import io.spendguard.proxy.provider.openai.OpenAiChat;
import io.spendguard.proxy.provider.openai.OpenAiCompletions;
import io.spendguard.proxy.provider.openai.OpenAiEmbeddings;
import io.spendguard.proxy.provider.openai.OpenAiResponses;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
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
            for (int size : new int[] {1, 2, 7}) {
                assertThat(inChunks(reply, size)).as("fed " + size + " bytes at a time: " + reply).isEqualTo(scanned);
            }
            if (parsed != null) {
                for (ApiShape shape : shapes) {
                    assertThat(shape.usage(scanned)).as(shape.route() + " " + reply).isEqualTo(shape.usage(parsed));
                }
            }
        }
        assertThat(ReplyUsage.of(Buffer.buffer(replies.get(0))).getJsonObject("usage")).isEqualTo(new JsonObject(USAGE));
    }

    /** The scan of {@code reply} fed {@code size} bytes at a time (cutting through multi-byte characters). */
    private static JsonObject inChunks(String reply, int size) {
        byte[] bytes = reply.getBytes(StandardCharsets.UTF_8);
        ReplyUsage.Scan scan = ReplyUsage.scan();
        for (int i = 0; i < bytes.length; i += size) {
            scan.feed(Buffer.buffer().appendBytes(bytes, i, Math.min(size, bytes.length - i)));
        }
        return scan.finish();
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    @Test
    void scansA50MbReplyFedInChunksAndKeepsOnlyItsUsage() {
        String row = "{\"object\":\"embedding\",\"index\":7,\"embedding\":[" + "0.0123456789,-0.0234567891,".repeat(40)
                + "0.5],\"text\":\"" + "caf\u00e9 \\\"quoted\\\" \\u00e9 ".repeat(20) + "\"}";
        Buffer piece = Buffer.buffer("," + row);
        long before = usedHeap();
        ReplyUsage.Scan scan = ReplyUsage.scan();
        scan.feed(Buffer.buffer("{\"object\":\"list\",\"data\":[" + row));
        long fed = 0;
        while (fed < 50L * 1024 * 1024) {
            // A chunk is built, fed and dropped, as the relay does with the bytes it passes on.
            Buffer chunk = Buffer.buffer();
            for (int i = 0; i < 40; i++) {
                chunk.appendBuffer(piece);
            }
            scan.feed(chunk);
            fed += chunk.length();
        }
        scan.feed(Buffer.buffer("],\"model\":\"m\",\"usage\":" + USAGE + "}"));
        long retained = usedHeap() - before;

        assertThat(scan.overLimit()).isFalse();
        assertThat(scan.finish()).isEqualTo(new JsonObject().put("usage", new JsonObject(USAGE)));
        // What the scan holds after 50 MB: the parser's own buffers and the usage, nowhere near the reply.
        assertThat(retained).as("bytes retained after scanning " + fed).isLessThan(4L * 1024 * 1024);
        assertThat(scan).isNotNull();
    }

    @Test
    void givesUpWhenTheUsageMemberIsLargerThanItsBound() {
        String padded = "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"pad\":\"" + "x".repeat(ReplyUsage.MAX_USAGE_BYTES)
                + "\"}}";
        String wide = "{\"usage\":{\"prompt_tokens\":1,\"list\":[" + "1,".repeat(ReplyUsage.MAX_USAGE_BYTES / 2) + "1]}}";
        for (String reply : List.of(padded, wide)) {
            ReplyUsage.Scan scan = ReplyUsage.scan();
            scan.feed(Buffer.buffer(reply));
            assertThat(scan.finish()).isNull();
            assertThat(scan.overLimit()).isTrue();
        }
        // Just under the bound is read.
        String fits = "{\"usage\":{\"prompt_tokens\":1,\"pad\":\"" + "x".repeat(ReplyUsage.MAX_USAGE_BYTES - 100) + "\"}}";
        assertThat(ReplyUsage.of(Buffer.buffer(fits)).getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(1);
    }

    @Test
    void givesUpOnNestingDeeperThanItsBoundAndOnAStringLongerThanItsBound() {
        int deep = ReplyUsage.MAX_DEPTH + 10;
        String nested = "{\"a\":" + "[".repeat(deep) + "]".repeat(deep) + ",\"usage\":" + USAGE + "}";
        ReplyUsage.Scan scan = ReplyUsage.scan();
        scan.feed(Buffer.buffer(nested));
        assertThat(scan.finish()).isNull();
        assertThat(scan.overLimit()).isTrue();

        ReplyUsage.Scan longString = ReplyUsage.scan();
        longString.feed(Buffer.buffer("{\"content\":\""));
        Buffer mib = Buffer.buffer("y".repeat(1024 * 1024));
        for (int i = 0; i <= ReplyUsage.MAX_STRING_CHARS / (1024 * 1024); i++) {
            longString.feed(mib);
        }
        assertThat(longString.overLimit()).isTrue();
        longString.feed(Buffer.buffer("\",\"usage\":" + USAGE + "}"));
        assertThat(longString.finish()).isNull();

        // A long string under the bound is read through.
        String oneMib = "{\"content\":\"" + "y".repeat(1024 * 1024) + "\",\"usage\":" + USAGE + "}";
        assertThat(ReplyUsage.of(Buffer.buffer(oneMib)).getJsonObject("usage")).isEqualTo(new JsonObject(USAGE));
    }

    @Test
    void aBodyThatIsNotJsonIsNotOverItsBound() {
        ReplyUsage.Scan scan = ReplyUsage.scan();
        scan.feed(Buffer.buffer("not json"));
        assertThat(scan.finish()).isNull();
        assertThat(scan.overLimit()).isFalse();
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
