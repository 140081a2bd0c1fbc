package io.spendguard.proxy.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Access-log lines reach standard output in order, and a stalled reader never stalls the caller. */
class StdoutLinesTest {
    private static LogRecord line(String text) {
        return new LogRecord(Level.INFO, text);
    }

    private static List<String> lines(ByteArrayOutputStream bytes) {
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void writesEachMessageAloneOnALineInOrder() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StdoutLines handler = new StdoutLines(new PrintStream(bytes, false, StandardCharsets.UTF_8), 1000);
        IntStream.range(0, 500).forEach(i -> handler.publish(line("{\"i\":" + i + "}")));
        handler.close();
        assertThat(lines(bytes)).containsExactlyElementsOf(IntStream.range(0, 500).mapToObj(i -> "{\"i\":" + i + "}").toList());
        assertThat(handler.dropped()).isZero();
    }

    @Test
    void aStalledReaderDropsAndCountsLinesInsteadOfBlockingTheCaller() throws Exception {
        CountDownLatch readerBack = new CountDownLatch(1);
        CountDownLatch writing = new CountDownLatch(1);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OutputStream stalled = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                writing.countDown();
                try {
                    readerBack.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                bytes.write(b, off, len);
            }
        };
        StdoutLines handler = new StdoutLines(new PrintStream(stalled, false, StandardCharsets.UTF_8), 100);
        handler.publish(line("first"));
        assertThat(writing.await(10, TimeUnit.SECONDS)).isTrue(); // the writer is now stuck in write()
        IntStream.range(0, 1000).forEach(i -> handler.publish(line("line " + i))); // returns: nobody waits for the reader
        assertThat(handler.dropped()).isEqualTo(900);

        readerBack.countDown();
        handler.close();
        List<String> written = lines(bytes);
        assertThat(written).first().isEqualTo("first");
        assertThat(written.subList(1, written.size()))
                .containsExactlyElementsOf(IntStream.range(0, 100).mapToObj(i -> "line " + i).toList());
    }
}
