package io.spendguard.proxy.provider;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads the wire-format fixtures under src/test/resources/fixtures. */
final class Fixtures {
    private Fixtures() { }

    /** The text of {@code fixtures/<provider>/<name>}. */
    static String read(String provider, String name) {
        try (InputStream in = Fixtures.class.getClassLoader().getResourceAsStream("fixtures/" + provider + "/" + name)) {
            assertThat(in).as("fixture %s/%s", provider, name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Splits an SSE body on blank lines, keeping each event's bytes and terminator. */
    static List<Buffer> events(String sse) {
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
}
