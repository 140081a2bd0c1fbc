package io.spendguard.proxy.provider;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The members a stream scanner declares are read as the event built whole would hold them; nothing else is built. */
class EventFieldsTest {
    private static final String[] STRING_PATHS = {"choices[].delta.content", "choices[].delta.tool_calls[].function.arguments",
        "choices[].text", "delta", "delta.text", "delta.partial_json", "content_block.text", "content_block.name"};

    private final EventFields fields = new EventFields();
    private final EventFields.Field type = fields.value("type");
    private final EventFields.Field usage = fields.value("usage");
    private final EventFields.Field responseUsage = fields.value("response.usage");
    private final EventFields.Field messageUsage = fields.value("message.usage");
    private final EventFields.Field choices = fields.size("choices");
    private final EventFields.Field texts = fields.strings(STRING_PATHS);

    private static Buffer event(String text) {
        return Buffer.buffer(text, "UTF-8");
    }

    private List<String> strings(EventFields.Event e) {
        List<String> out = new ArrayList<>();
        e.strings(texts, out::add);
        return out;
    }

    @Test
    void everyFixtureEventReadsAsItsTreeHoldsIt() {
        int events = 0;
        for (String[] fixture : new String[][] {{"openai", "chat-stream-with-usage.sse"}, {"openai", "completions-stream-with-usage.sse"},
            {"openai", "responses-stream.sse"}, {"openai", "responses-stream-tool-call.sse"}, {"openai", "responses-stream-error.sse"},
            {"anthropic", "messages-stream-basic.sse"}, {"anthropic", "messages-stream-thinking-tools.sse"}}) {
            for (Buffer event : Fixtures.events(Fixtures.read(fixture[0], fixture[1]))) {
                byte[] data = SseEvents.data(event);
                EventFields.Event e = fields.read(event);
                if (data == null || data[0] != '{') {
                    assertThat(e).isNull();
                    continue;
                }
                JsonObject tree = new JsonObject(Buffer.buffer(data));
                assertThat(e.value(type)).isEqualTo(tree.getValue("type"));
                assertThat(e.value(usage)).isEqualTo(tree.getValue("usage"));
                assertThat(e.value(responseUsage)).isEqualTo(at(tree, "response", "usage"));
                assertThat(e.value(messageUsage)).isEqualTo(at(tree, "message", "usage"));
                assertThat(e.size(choices)).isEqualTo(tree.getValue("choices") instanceof JsonArray a ? a.size() : -1);
                List<String> expected = new ArrayList<>();
                for (String path : STRING_PATHS) {
                    stringsAt(tree, path.split("\\."), 0, expected);
                }
                assertThat(strings(e)).as(event.toString()).containsExactlyInAnyOrderElementsOf(expected);
                events++;
            }
        }
        assertThat(events).isGreaterThan(40);
    }

    private static Object at(JsonObject tree, String outer, String inner) {
        return tree.getValue(outer) instanceof JsonObject o ? o.getValue(inner) : null;
    }

    /** The strings at a path, navigating the tree: what the scanners read before. */
    private static void stringsAt(Object node, String[] steps, int i, List<String> out) {
        if (i == steps.length) {
            if (node instanceof String s) {
                out.add(s);
            }
            return;
        }
        boolean each = steps[i].endsWith("[]");
        String name = each ? steps[i].substring(0, steps[i].length() - 2) : steps[i];
        if (!(node instanceof JsonObject o)) {
            return;
        }
        Object child = o.getValue(name);
        if (!each) {
            stringsAt(child, steps, i + 1, out);
        } else if (child instanceof JsonArray list) {
            for (Object element : list) {
                stringsAt(element, steps, i + 1, out);
            }
        }
    }

    @Test
    void anEventWithoutOneJsonObjectReadsAsNull() {
        for (String text : new String[] {"data: [DONE]\n\n", ": keep-alive\n\n", "event: ping\n\n", "data: {\"type\":\n\n",
            "data: {} {}\n\n", "data: [{}]\n\n", "data: \n\n", "data:  {\"type\":\"x\"}\n\n", "data: {\"a\":tru}\n\n"}) {
            assertThat(fields.read(event(text))).as(text).isNull();
        }
    }

    @Test
    void dataLinesAreJoinedWithOrWithoutTheirSpaceAndCarriageReturn() {
        EventFields.Event e = fields.read(event("event: x\r\ndata:{\"type\":\r\ndata: \"joined\"}\r\n\r\n"));

        assertThat(e.value(type)).isEqualTo("joined");
        assertThat(new String(SseEvents.data(event("id: 1\ndata: a\ndata:b\r\ndata:\n\n")), StandardCharsets.UTF_8)).isEqualTo("a\nb\n");
        assertThat(SseEvents.data(event("event: ping\n\n"))).isNull();
    }

    @Test
    void aRepeatedKeyKeepsTheLastValueAndEveryString() {
        EventFields.Event e = fields.read(event("data: {\"usage\":{\"a\":1},\"delta\":\"x\",\"usage\":{\"a\":2},\"delta\":\"y\"}\n\n"));

        assertThat(e.value(usage)).isEqualTo(new JsonObject().put("a", 2));
        assertThat(strings(e)).containsExactly("x", "y");
    }

    @Test
    void readsOnlyWhatThePathsReachAndPassesOverOtherTypes() {
        EventFields.Event e = fields.read(event("data: {\"choices\":{\"delta\":{\"content\":\"no\"}},\"delta\":{\"text\":\"caf\\u00e9\"},"
                + "\"content_block\":{\"text\":7,\"name\":null},\"response\":[{\"usage\":1}],\"usage\":null,\"type\":3}\n\n"));

        assertThat(e.size(choices)).as("choices is not an array").isEqualTo(-1);
        assertThat(strings(e)).containsExactly("café");
        assertThat(e.value(responseUsage)).isNull();
        assertThat(e.value(usage)).isNull();
        assertThat(e.value(type)).isEqualTo(3);

        EventFields.Event empty = fields.read(event("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"details\":[1.5,true]}}\n\n"));
        assertThat(empty.size(choices)).isZero();
        assertThat(empty.value(usage)).isEqualTo(new JsonObject("{\"prompt_tokens\":5,\"details\":[1.5,true]}"));
    }

    @Test
    void malformedUtf8InTheEventMakesItUnreadable() {
        byte[] bytes = "data: {\"delta\":\"ab\"}\n\n".getBytes(StandardCharsets.US_ASCII);
        bytes[16] = (byte) 0xC3;  // a lead byte followed by an ASCII 'b'

        assertThat(fields.read(Buffer.buffer(bytes))).isNull();
    }
}
