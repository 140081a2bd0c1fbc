package io.spendguard.proxy.provider;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/** Server-sent-event helpers shared by the API shapes. */
public final class SseEvents {
    private SseEvents() { }

    /** The joined {@code data:} lines of one raw event, or null when it has none. */
    public static String data(Buffer event) {
        String text = event.toString(StandardCharsets.UTF_8);
        StringBuilder data = null;
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            String line = text.substring(start, end);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.startsWith("data:")) {
                String value = line.substring(line.startsWith("data: ") ? 6 : 5);
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            }
            start = end + 1;
        }
        return data == null ? null : data.toString();
    }

    /** The event's data as a JSON object, or null when absent, {@code [DONE]} or not JSON. */
    public static JsonObject json(Buffer event) {
        String data = data(event);
        if (data == null || data.isEmpty() || data.charAt(0) != '{') {
            return null;
        }
        try {
            return new JsonObject(data);
        } catch (DecodeException e) {
            return null;
        }
    }
}
