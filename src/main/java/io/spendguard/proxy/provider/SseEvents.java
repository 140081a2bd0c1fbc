package io.spendguard.proxy.provider;

import io.vertx.core.buffer.Buffer;
import java.util.Arrays;

/** Server-sent-event helpers shared by the API shapes. */
public final class SseEvents {
    private static final byte[] DATA = {'d', 'a', 't', 'a', ':'};

    private SseEvents() { }

    /**
     * The {@code data:} lines of one raw event, joined by {@code \n}, as the bytes they are (UTF-8), or
     * null when it has none. A line ends at {@code \n} or {@code \r\n}; one space after the colon is dropped.
     */
    public static byte[] data(Buffer event) {
        byte[] bytes = event.getBytes();
        byte[] data = null;
        int start = 0;
        while (start < bytes.length) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            int lineEnd = end > start && bytes[end - 1] == '\r' ? end - 1 : end;
            if (lineEnd - start >= DATA.length && Arrays.equals(bytes, start, start + DATA.length, DATA, 0, DATA.length)) {
                int from = start + DATA.length;
                if (from < lineEnd && bytes[from] == ' ') {
                    from++;
                }
                data = data == null ? Arrays.copyOfRange(bytes, from, lineEnd) : joined(data, bytes, from, lineEnd);
            }
            start = end + 1;
        }
        return data;
    }

    private static byte[] joined(byte[] data, byte[] bytes, int from, int to) {
        byte[] more = Arrays.copyOf(data, data.length + 1 + to - from);
        more[data.length] = '\n';
        System.arraycopy(bytes, from, more, data.length + 1, to - from);
        return more;
    }
}
