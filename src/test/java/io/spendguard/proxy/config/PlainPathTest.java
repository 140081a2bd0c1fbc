package io.spendguard.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written path checks accept exactly what the grammar's regular expressions accept. */
class PlainPathTest {
    private static final Pattern SEGMENTS = Pattern.compile("(/[A-Za-z0-9._~:-]+)+");
    private static final Pattern TARGET = Pattern.compile("/|(/[A-Za-z0-9._~:-]+)+/?");
    private static final Pattern DOT_SEGMENT = Pattern.compile(".*/\\.{1,2}(/.*)?");
    private static final Pattern FORBIDDEN = Pattern.compile("[@\\\\#\\x00-\\x20\\x7f]");

    @Test
    void examples() {
        assertThat(PlainPath.segments("/v1/chat/completions")).isTrue();
        assertThat(PlainPath.segments("/v1/models/gpt-4o:ft~x_1.2")).isTrue();
        assertThat(PlainPath.segments("/")).isFalse();
        assertThat(PlainPath.segments("/v1/")).isFalse();
        assertThat(PlainPath.segments("/v1//x")).isFalse();
        assertThat(PlainPath.segments("/v1/../admin")).isFalse();
        assertThat(PlainPath.segments("/v1/./x")).isFalse();
        assertThat(PlainPath.segments("/v1/...")).isTrue();
        assertThat(PlainPath.segments("/v1/%2e%2e")).isFalse();
        assertThat(PlainPath.segments("/v1;x")).isFalse();
        assertThat(PlainPath.segments("")).isFalse();
        assertThat(PlainPath.segments(null)).isFalse();
        assertThat(PlainPath.target("/")).isTrue();
        assertThat(PlainPath.target("/v1/models/")).isTrue();
        assertThat(PlainPath.target("/v1/models//")).isFalse();
        assertThat(PlainPath.target("//")).isFalse();
        assertThat(PlainPath.target("/../")).isFalse();
        assertThat(PlainPath.noForbiddenCharacter("/v1/x?a=b&c=%20")).isTrue();
        assertThat(PlainPath.noForbiddenCharacter("/v1/x?a=b c")).isFalse();
        assertThat(PlainPath.noForbiddenCharacter("/v1@evil")).isFalse();
        assertThat(PlainPath.noForbiddenCharacter("/v1\\x")).isFalse();
        assertThat(PlainPath.noForbiddenCharacter("/v1#x")).isFalse();
        assertThat(PlainPath.noForbiddenCharacter("/v1\u007f")).isFalse();
    }

    @Test
    void agreesWithTheGrammarOnRandomPaths() {
        char[] alphabet = "/./.a-Z9_~:%;@\\# \t\u007fé?".toCharArray();
        Random random = new Random(42);
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < 200_000; i++) {
            StringBuilder p = new StringBuilder(random.nextBoolean() ? "/" : "");
            for (int n = random.nextInt(9); n > 0; n--) {
                p.append(alphabet[random.nextInt(alphabet.length)]);
            }
            paths.add(p.toString());
        }
        for (String p : paths) {
            boolean dots = DOT_SEGMENT.matcher(p).matches();
            assertThat(PlainPath.segments(p)).as(p).isEqualTo(SEGMENTS.matcher(p).matches() && !dots);
            assertThat(PlainPath.target(p)).as(p).isEqualTo(TARGET.matcher(p).matches() && !dots);
            assertThat(PlainPath.noForbiddenCharacter(p)).as(p).isEqualTo(!FORBIDDEN.matcher(p).find());
        }
    }
}
