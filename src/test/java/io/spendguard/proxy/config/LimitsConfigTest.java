package io.spendguard.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The connection limits: their defaults, and a start-up that fails naming the key for a value that is not positive. */
class LimitsConfigTest {
    private static ProxyConfig load(String limits) {
        return ConfigLoader.parse("ledger: { kind: memory }\n" + limits, name -> null, "test");
    }

    @Test
    void defaultsBoundEveryPhaseOfAConnection() {
        ProxyConfig.LimitsConfig limits = load("").limits();
        assertThat(limits.headerTimeoutMs()).isEqualTo(10_000);
        assertThat(limits.bodyTimeoutMs()).isEqualTo(30_000);
        assertThat(limits.idleTimeoutMs()).isEqualTo(60_000);
        assertThat(limits.maxConnections()).isEqualTo(10_000);
        assertThat(limits.adminMaxConnections()).isEqualTo(256);
        assertThat(limits.maxBufferedBodyBytes()).isEqualTo(256L * 1024 * 1024);
    }

    @Test
    void theSharedBodyLimitHoldsAtLeastOneLargestBody() {
        assertThatThrownBy(() -> load("limits: { max_body_bytes: 2048, max_buffered_body_bytes: 2047 }"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("limits.max_buffered_body_bytes: 2047 (expected: >= limits.max_body_bytes, 2048)");
        assertThat(load("limits: { max_body_bytes: 300000000 }").limits().maxBufferedBodyBytes()).isEqualTo(300_000_000L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"idle_timeout_ms", "header_timeout_ms", "body_timeout_ms", "max_connections", "admin_max_connections"})
    void refusesAValueThatIsNotPositive(String key) {
        assertThatThrownBy(() -> load("limits: { " + key + ": 0 }"))
                .isInstanceOf(ConfigException.class).hasMessage("limits." + key + ": 0 (expected: > 0)");
        assertThatThrownBy(() -> load("limits: { " + key + ": -5 }")).hasMessage("limits." + key + ": -5 (expected: > 0)");
    }

    @Test
    void refusesAnUnknownLimit() {
        assertThatThrownBy(() -> load("limits: { idle_timeout: 5 }")).isInstanceOf(ConfigException.class).hasMessageContaining("idle_timeout");
    }
}
