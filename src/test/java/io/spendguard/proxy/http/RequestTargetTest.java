package io.spendguard.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Only plain origin-form targets pass; the query goes on re-encoded. */
class RequestTargetTest {

    @ParameterizedTest
    @CsvSource(nullValues = "NULL", value = {
            "/v1/chat/completions, /v1/chat/completions, NULL",
            "/v1/chat/completions/, /v1/chat/completions, NULL",
            "/v1/chat/completions?, /v1/chat/completions, NULL",
            "/v1/models/ft:gpt-4o-mini:acme:x1, /v1/models/ft:gpt-4o-mini:acme:x1, NULL",
            "/v1/messages?beta=true, /v1/messages, beta=true",
            "/v1/responses?a=%2F%40&b=c+d, /v1/responses, a=%2F%40&b=c%20d",
            "/v1/responses?a=%7e, /v1/responses, a=~",
            "/, '', NULL"})
    void acceptsPlainTargets(String uri, String path, String query) {
        RequestTarget t = RequestTarget.parse(uri);
        assertThat(t.path()).isEqualTo(path);
        assertThat(t.query()).isEqualTo(query);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "*", "v1/chat/completions", "http://h/v1/chat/completions", "x.evil://a/v1/chat/completions",
            "@127.0.0.1:1/s?://x/v1/chat/completions", "//evil/v1/chat/completions", "/v1/chat/completions@evil",
            "/v1\\chat", "/v1/chat%2Fcompletions", "/v1/./chat", "/v1/../v1/chat", "/v1/models/..", "/v1/models/.",
            "/v1//chat", "/v1/chat;x=1", "/v1/chat#frag", "/v1/chat?x=@h", "/v1/chat\r\nHost: evil", "/v1/chat\u0000",
            "/v1/chat completions", "/v1/ch\u00e4t"})
    void refusesEverythingElseWith400(String uri) {
        assertThatThrownBy(() -> RequestTarget.parse(uri)).isInstanceOfSatisfying(ProxyException.class,
                e -> assertThat(e.error()).isEqualTo(ProxyError.INVALID_TARGET));
    }
}
