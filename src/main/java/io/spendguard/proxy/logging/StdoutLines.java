package io.spendguard.proxy.logging;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

/**
 * Writes the message of each record alone on a line (JSON lines stay JSON lines) from a thread of its
 * own, many lines per write, polled every few milliseconds. A model call never waits for standard output: when the log shipper
 * reads slowly and the pipe fills, the writer blocks, not an event loop. Lines beyond
 * {@code capacity} waiting to be written are dropped and counted ({@link #dropped}); {@link #close}
 * writes what waits.
 */
public final class StdoutLines extends Handler {
    private static final String STOP = new String("stop");
    private static final int BATCH = 1024;
    /**
     * How long the writer sleeps when nothing waits. It is never woken per line: a wake-up is a system
     * call on the publishing event loop, per model call; a line waits at most this long instead.
     */
    private static final long IDLE_NANOS = 5_000_000;

    private final PrintStream out;
    private final BlockingQueue<String> lines;
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;

    public StdoutLines(PrintStream out, int capacity) {
        this.out = out;
        this.lines = new ArrayBlockingQueue<>(capacity);
        this.writer = new Thread(this::write, "spendguard-log-writer");
        writer.setDaemon(true);
        writer.start();
    }

    @Override
    public void publish(LogRecord r) {
        if (isLoggable(r) && !lines.offer(r.getMessage())) {
            dropped.incrementAndGet();
        }
    }

    /** Lines dropped because the writer was that far behind. */
    public long dropped() {
        return dropped.get();
    }

    private void write() {
        List<String> batch = new ArrayList<>(BATCH);
        StringBuilder text = new StringBuilder(64 * 1024);
        while (true) {
            if (lines.drainTo(batch, BATCH) == 0) {
                LockSupport.parkNanos(IDLE_NANOS);
                if (Thread.interrupted()) {
                    return;
                }
                continue;
            }
            for (String line : batch) {
                if (line == STOP) {
                    out.print(text);
                    out.flush();
                    return;
                }
                text.append(line).append('\n');
            }
            out.print(text); // one print: lines of others' prints never land inside it
            out.flush();
            text.setLength(0);
            batch.clear();
        }
    }

    /** Nothing to do: lines are written as soon as the writer gets to them. */
    @Override
    public void flush() {
    }

    /** Writes every line published before it, then stops the writer (a few seconds at most). */
    @Override
    public void close() {
        try {
            if (writer.isAlive() && lines.offer(STOP, 5, TimeUnit.SECONDS)) {
                writer.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
