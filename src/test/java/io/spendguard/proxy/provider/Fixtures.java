package io.spendguard.proxy.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The wire-format fixtures in src/test/resources/fixtures/openai (see token-counts.md there), and shape test helpers. */
final class Fixtures {
    private Fixtures() { }

    static String text(String name) {
        try (InputStream in = Fixtures.class.getClassLoader().getResourceAsStream("fixtures/openai/" + name)) {
            assertThat(in).as("fixture %s", name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static JsonObject json(String name) {
        return new JsonObject(text(name));
    }

    /** Splits an SSE fixture on blank lines, keeping each event's bytes and terminator. */
    static List<Buffer> events(String name) {
        String sse = text(name);
        List<Buffer> out = new ArrayList<>();
        int start = 0;
        int end;
        while ((end = sse.indexOf("\n\n", start)) >= 0) {
            out.add(Buffer.buffer(sse.substring(start, end + 2), "UTF-8"));
            start = end + 2;
        }
        assertThat(sse.substring(start)).as("no partial event at the end").isEmpty();
        return out;
    }

    /** Feeds every event of an SSE fixture to {@code scanner}; returns which ones it kept. */
    static List<Boolean> feed(StreamScanner scanner, String name) {
        return events(name).stream().map(scanner::onEvent).toList();
    }

    /** Parses {@code json} with {@code shape}, expecting a 400; returns the field it names. */
    static String rejectedField(ApiShape shape, String json) {
        ProxyException e = catchThrowableOfType(ProxyException.class, () -> shape.parse(new JsonObject(json)));
        assertThat(e).as("expected INVALID_REQUEST for %s", json).isNotNull();
        assertThat(e.error()).isEqualTo(ProxyError.INVALID_REQUEST);
        assertThat(e.getMessage()).contains(e.param());
        return e.param();
    }
}
