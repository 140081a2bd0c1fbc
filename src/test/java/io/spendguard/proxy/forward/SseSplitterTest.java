package io.spendguard.proxy.forward;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SseSplitterTest {

    private static final String USAGE = "{\"prompt_tokens\":19,\"completion_tokens\":10,\"total_tokens\":29,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":0}}";

    /** An OpenAI-shaped chat completion stream, one string per event, terminator included. */
    private static List<String> realisticEvents(String eol) {
        String blank = eol + eol;
        List<String> events = new ArrayList<>();
        events.add(": OPENROUTER PROCESSING" + blank);
        String[] deltas = {"{\"role\":\"assistant\",\"content\":\"\"}", "{\"content\":\"Bonjour\"}", "{\"content\":\" à \"}",
            "{\"content\":\"vous 👋, ça va\"}", "{\"content\":\" ?\\n\\n\"}", "{\"content\":\"日本語も\"}", "{}"};
        for (int i = 0; i < deltas.length; i++) {
            events.add("data: {\"id\":\"chatcmpl-9x\",\"object\":\"chat.completion.chunk\",\"created\":1727000000,"
                    + "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":" + deltas[i] + ",\"logprobs\":null,"
                    + "\"finish_reason\":" + (i == deltas.length - 1 ? "\"stop\"" : "null") + "}],\"usage\":null}" + blank);
        }
        events.add("event: message" + eol + "id: 42" + eol + "data: {\"id\":\"chatcmpl-9x\",\"choices\":[]," + eol
                + "data: \"usage\":" + USAGE + "}" + blank);
        events.add("data: [DONE]" + blank);
        return events;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(List<String> parts) {
        return utf8(String.join("", parts));
    }

    /** Feeds {@code input} cut at {@code cuts} and returns the events emitted, as raw bytes. */
    private static List<byte[]> feedCut(SseSplitter splitter, byte[] input, int... cuts) {
        List<byte[]> out = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            splitter.feed(Buffer.buffer().appendBytes(input, from, cut - from), e -> out.add(e.getBytes()));
            from = cut;
        }
        splitter.feed(Buffer.buffer().appendBytes(input, from, input.length - from), e -> out.add(e.getBytes()));
        return out;
    }

    private static List<String> strings(List<byte[]> events) {
        return events.stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
    }

    @Test
    void wholeEventInOneChunkComesOutIdentical() {
        SseSplitter s = new SseSplitter();

        List<byte[]> events = feedCut(s, utf8("data: {\"a\":1}\n\n"));

        assertThat(strings(events)).containsExactly("data: {\"a\":1}\n\n");
        assertThat(s.rest().length()).isZero();
    }

    @Test
    void severalEventsInOneChunkAreSplit() {
        SseSplitter s = new SseSplitter();

        List<byte[]> events = feedCut(s, utf8("data: 1\n\ndata: 2\n\ndata: 3\n\n"));

        assertThat(strings(events)).containsExactly("data: 1\n\n", "data: 2\n\n", "data: 3\n\n");
    }

    @Test
    void blankLineSplitBetweenTwoNewlinesCompletesOnNextChunk() {
        SseSplitter s = new SseSplitter();
        byte[] input = utf8("data: first\n\ndata: second\n\n");
        int firstNewline = "data: first\n".length();

        List<byte[]> events = feedCut(s, input, firstNewline);

        assertThat(strings(events)).containsExactly("data: first\n\n", "data: second\n\n");
    }

    @Test
    void eventIsNotEmittedUntilItsBlankLineArrives() {
        SseSplitter s = new SseSplitter();
        List<String> out = new ArrayList<>();

        s.feed(Buffer.buffer("data: x\n"), e -> out.add(e.toString()));
        assertThat(out).isEmpty();
        s.feed(Buffer.buffer("\n"), e -> out.add(e.toString()));

        assertThat(out).containsExactly("data: x\n\n");
    }

    @Test
    void crlfTerminatorSplitAtEveryByteComesOutWhole() {
        String e1 = "data: {\"n\":1}\r\n\r\n";
        String e2 = "data: {\"n\":2}\r\n\r\n";
        byte[] input = utf8(e1 + e2);
        for (int cut = 1; cut < input.length; cut++) {
            SseSplitter s = new SseSplitter();

            List<byte[]> events = feedCut(s, input, cut);

            assertThat(strings(events)).as("cut at %d", cut).containsExactly(e1, e2);
            assertThat(s.rest().length()).as("cut at %d", cut).isZero();
        }
    }

    @Test
    void crlfTerminatorSplitIntoThreeChunksComesOutWhole() {
        SseSplitter s = new SseSplitter();
        byte[] input = utf8("data: a\r\n\r\n");

        List<byte[]> events = feedCut(s, input, "data: a\r".length(), "data: a\r\n\r".length());

        assertThat(strings(events)).containsExactly("data: a\r\n\r\n");
    }

    @Test
    void multiLineEventWithCommentsStaysOneEvent() {
        SseSplitter s = new SseSplitter();
        String event = ": ping\nevent: message\nid: 7\ndata: {\"a\":\ndata: 1}\n\n";

        List<byte[]> events = feedCut(s, utf8(event + "data: [DONE]\n\n"), 3, 20);

        assertThat(strings(events)).containsExactly(event, "data: [DONE]\n\n");
    }

    @Test
    void incompleteTailIsReturnedByRestAndThenCleared() {
        SseSplitter s = new SseSplitter();

        List<byte[]> events = feedCut(s, utf8("data: 1\n\ndata: {\"partial\":"), 5);

        assertThat(strings(events)).containsExactly("data: 1\n\n");
        assertThat(s.rest().toString(StandardCharsets.UTF_8)).isEqualTo("data: {\"partial\":");
        assertThat(s.rest().length()).isZero();
    }

    @Test
    void splitterIsReusableAfterRest() {
        SseSplitter s = new SseSplitter();
        feedCut(s, utf8("data: dangling\n"));
        s.rest();

        List<byte[]> events = feedCut(s, utf8("\ndata: new\n\n"));

        assertThat(strings(events)).as("a newline left in the old stream must not end an event in the new one")
                .containsExactly("\ndata: new\n\n");
    }

    @Test
    void multiByteCharactersSplitAcrossChunksArePreserved() {
        String event = "data: {\"content\":\"vous 👋 日本語 é\"}\n\n";
        byte[] input = utf8(event + event);
        for (int cut = 1; cut < input.length; cut++) {
            SseSplitter s = new SseSplitter();

            List<byte[]> events = feedCut(s, input, cut);

            assertThat(events).as("cut at %d", cut).hasSize(2);
            assertThat(events.get(0)).isEqualTo(utf8(event));
            assertThat(events.get(1)).isEqualTo(utf8(event));
        }
    }

    @Test
    void byteByByteFeedingYieldsTheSameEvents() {
        for (String eol : List.of("\n", "\r\n")) {
            List<String> expected = realisticEvents(eol);
            byte[] input = concat(expected);
            int[] cuts = new int[input.length - 1];
            for (int i = 0; i < cuts.length; i++) {
                cuts[i] = i + 1;
            }
            SseSplitter s = new SseSplitter();

            List<byte[]> events = feedCut(s, input, cuts);

            assertThat(strings(events)).as("eol %s", eol.replace("\r", "\\r").replace("\n", "\\n"))
                    .containsExactlyElementsOf(expected);
        }
    }

    @Test
    void randomChunkingsReproduceTheStreamByteForByte() {
        Random random = new Random(20240806L);
        for (String eol : List.of("\n", "\r\n")) {
            List<String> expected = realisticEvents(eol);
            String tail = "data: {\"id\":\"chatcmpl-9x\",\"choi";
            byte[] input = utf8(String.join("", expected) + tail);
            for (int round = 0; round < 300; round++) {
                SseSplitter s = new SseSplitter();
                List<byte[]> events = new ArrayList<>();
                int pos = 0;
                while (pos < input.length) {
                    int size = 1 + random.nextInt(random.nextBoolean() ? 8 : 200);
                    int end = Math.min(input.length, pos + size);
                    s.feed(Buffer.buffer().appendBytes(input, pos, end - pos), e -> events.add(e.getBytes()));
                    pos = end;
                }
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                events.forEach(all::writeBytes);
                all.writeBytes(s.rest().getBytes());

                assertThat(all.toByteArray()).as("round %d", round).isEqualTo(input);
                assertThat(strings(events)).as("round %d", round).containsExactlyElementsOf(expected);
            }
        }
    }

    @Test
    void recordedShapeStreamFixtureSurvivesRandomChunking() throws java.io.IOException {
        byte[] input;
        try (java.io.InputStream in = getClass().getClassLoader().getResourceAsStream("fixtures/openai/chat-stream-with-usage.sse")) {
            assertThat(in).isNotNull();
            input = in.readAllBytes();
        }
        Random random = new Random(7L);
        for (int round = 0; round < 100; round++) {
            SseSplitter s = new SseSplitter();
            List<byte[]> events = new ArrayList<>();
            int pos = 0;
            while (pos < input.length) {
                int end = Math.min(input.length, pos + 1 + random.nextInt(64));
                s.feed(Buffer.buffer().appendBytes(input, pos, end - pos), e -> events.add(e.getBytes()));
                pos = end;
            }

            assertThat(events).as("round %d", round).hasSize(7);
            assertThat(new String(events.get(6), StandardCharsets.UTF_8)).isEqualTo("data: [DONE]\n\n");
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            events.forEach(all::writeBytes);
            assertThat(all.toByteArray()).as("round %d", round).isEqualTo(input);
            assertThat(s.rest().length()).isZero();
        }
    }

    @Test
    void emittedEventsAreNotChangedByLaterFeeds() {
        SseSplitter s = new SseSplitter();
        List<Buffer> events = new ArrayList<>();

        s.feed(Buffer.buffer("data: 1\n\ndata: 2"), events::add);
        s.feed(Buffer.buffer("\n\ndata: 3\n\n"), events::add);
        s.feed(Buffer.buffer("data: 4\n\n"), events::add);

        assertThat(events).extracting(Buffer::toString).containsExactly("data: 1\n\n", "data: 2\n\n", "data: 3\n\n", "data: 4\n\n");
    }

    @Test
    void inputChunkIsNotModified() {
        SseSplitter s = new SseSplitter();
        Buffer chunk = Buffer.buffer("data: par");

        s.feed(chunk, e -> { });
        s.feed(Buffer.buffer("tial\n\n"), e -> { });

        assertThat(chunk.toString()).isEqualTo("data: par");
    }

    @Test
    void emittedEventsAndFedChunksKeepTheirBytesWhileMoreIsFed() {
        SseSplitter s = new SseSplitter();
        List<Buffer> events = new ArrayList<>();
        Buffer first = Buffer.buffer("data: 1\n\ndata: 2");
        Buffer second = Buffer.buffer("\n\ndata: 3\n");
        Buffer third = Buffer.buffer("\ndata: 4\n\n");

        s.feed(first, events::add);
        assertThat(s.idle()).isFalse();
        s.feed(second, events::add);
        s.feed(third, events::add);

        assertThat(events).extracting(Buffer::toString).containsExactly("data: 1\n\n", "data: 2\n\n", "data: 3\n\n", "data: 4\n\n");
        assertThat(first.toString()).isEqualTo("data: 1\n\ndata: 2");
        assertThat(second.toString()).isEqualTo("\n\ndata: 3\n");
        assertThat(third.toString()).isEqualTo("\ndata: 4\n\n");
        assertThat(s.idle()).isTrue();
    }

    @Test
    void aChunkWithoutAnyCompleteEventIsNotAppendedToInPlace() {
        SseSplitter s = new SseSplitter();
        List<Buffer> events = new ArrayList<>();
        Buffer partial = Buffer.buffer("data: {\"a\":");

        s.feed(partial, events::add);
        s.feed(Buffer.buffer("1}\n\n"), events::add);

        assertThat(partial.toString()).isEqualTo("data: {\"a\":");
        assertThat(events).extracting(Buffer::toString).containsExactly("data: {\"a\":1}\n\n");
    }

    @Test
    void anEventWithoutTerminatorPastTheBoundStopsTheSplitterAfterTheEventsBeforeIt() {
        SseSplitter s = new SseSplitter(64);
        List<String> events = new ArrayList<>();
        s.feed(Buffer.buffer("data: 1\n\ndata: 2\n\ndata: " + "x".repeat(20)), e -> events.add(e.toString()));
        assertThat(s.tooLarge()).isFalse();
        for (int i = 0; i < 3; i++) {
            s.feed(Buffer.buffer("y".repeat(20)), e -> events.add(e.toString()));
        }
        assertThat(s.tooLarge()).isTrue();
        assertThat(events).containsExactly("data: 1\n\n", "data: 2\n\n");
        // Nothing more is taken or given out, and nothing of the oversize event is kept.
        s.feed(Buffer.buffer("\n\ndata: 3\n\n"), e -> events.add(e.toString()));
        assertThat(events).hasSize(2);
        assertThat(s.rest().length()).isZero();
    }

    @Test
    void aWholeEventPastTheBoundInOneChunkIsTooLargeButOneAtTheBoundIsRelayed() {
        String atBound = "data: " + "z".repeat(64 - 8) + "\n\n";
        assertThat(atBound).hasSize(64);
        SseSplitter s = new SseSplitter(64);
        List<String> events = new ArrayList<>();
        s.feed(Buffer.buffer(atBound + atBound.replace("\n\n", "\r\n\r\n").substring(0, 60) + "\r\n"), e -> events.add(e.toString()));
        assertThat(events).containsExactly(atBound);
        assertThat(s.tooLarge()).isFalse();

        SseSplitter over = new SseSplitter(64);
        List<String> none = new ArrayList<>();
        over.feed(Buffer.buffer("data: " + "z".repeat(64) + "\r\n\r\ndata: after\n\n"), e -> none.add(e.toString()));
        assertThat(over.tooLarge()).isTrue();
        assertThat(none).isEmpty();
    }

    @Test
    void theDefaultBoundIsEightMebibytes() {
        SseSplitter s = new SseSplitter();
        Buffer mib = Buffer.buffer("a".repeat(1024 * 1024));
        s.feed(Buffer.buffer("data: "), e -> { });
        for (int i = 0; i < 8 && !s.tooLarge(); i++) {
            s.feed(mib, e -> { });
        }
        assertThat(s.tooLarge()).isTrue();
        assertThat(SseSplitter.MAX_EVENT_BYTES).isEqualTo(8 * 1024 * 1024);
    }
}
