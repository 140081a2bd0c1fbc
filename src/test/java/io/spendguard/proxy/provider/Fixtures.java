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

/**
 * Reads the wire-format fixtures under src/test/resources/fixtures, and checks how a shape refuses a body.
 * Public for the shape tests in {@code provider.openai} and {@code provider.anthropic}.
 */
public final class Fixtures {
    private Fixtures() { }

    /** The text of {@code fixtures/<provider>/<name>}. */
    public static String read(String provider, String name) {
        try (InputStream in = Fixtures.class.getClassLoader().getResourceAsStream("fixtures/" + provider + "/" + name)) {
            assertThat(in).as("fixture %s/%s", provider, name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The JSON object of {@code fixtures/openai/<name>}. */
    public static JsonObject openAiJson(String name) {
        return new JsonObject(read("openai", name));
    }

    /** Splits an SSE body on blank lines, keeping each event's bytes and terminator. */
    public static List<Buffer> events(String sse) {
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

    /** Feeds every event of the SSE fixture {@code fixtures/openai/<name>} to {@code scanner}; returns which it kept. */
    public static List<Boolean> feedOpenAi(StreamScanner scanner, String name) {
        return events(read("openai", name)).stream().map(scanner::onEvent).toList();
    }

    /** Parses {@code json} with {@code shape}, expecting a 400; returns the field it names. */
    public static String rejectedField(ApiShape shape, String json) {
        ProxyException e = catchThrowableOfType(ProxyException.class, () -> shape.parse(new JsonObject(json)));
        assertThat(e).as("expected INVALID_REQUEST for %s", json).isNotNull();
        assertThat(e.error()).isEqualTo(ProxyError.INVALID_REQUEST);
        assertThat(e.getMessage()).contains(e.param());
        return e.param();
    }
}
