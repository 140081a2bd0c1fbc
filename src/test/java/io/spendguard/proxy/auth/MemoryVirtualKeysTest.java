package io.spendguard.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.config.ProxyConfig.KeyConfig;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The in-memory key store: found by hash only while live, revoked at once, listed without secrets. */
class MemoryVirtualKeysTest {
    private final MemoryVirtualKeys keys = new MemoryVirtualKeys(Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC));

    private static KeyConfig definition(String id, String key) {
        return new KeyConfig(id, null, "acme", "team", false, KeyConfig.sha256(key), KeyConfig.prefix(key));
    }

    @Test
    void findsALiveKeyByItsHashOnly() {
        String secret = VirtualKey.newSecret();
        keys.add(definition("k1", secret), VirtualKeys.ADMIN);

        assertThat(keys.find(KeyConfig.sha256(secret)).id()).isEqualTo("k1");
        assertThat(keys.find(secret)).as("plaintext is never a lookup key").isNull();
        assertThat(keys.find(KeyConfig.sha256(secret + "x"))).isNull();
    }

    @Test
    void revokingRemovesTheKeyFromLookupsAtOnceButKeepsItListed() {
        String secret = VirtualKey.newSecret();
        keys.add(definition("k1", secret), VirtualKeys.ADMIN);

        VirtualKey revoked = keys.revoke("k1").result();

        assertThat(revoked.revoked()).isTrue();
        assertThat(keys.find(KeyConfig.sha256(secret))).isNull();
        assertThat(keys.get("k1").result().revoked()).isTrue();
        assertThat(keys.list().result()).singleElement().satisfies(k -> assertThat(k.revoked()).isTrue());
        assertThat(keys.revoke("nope").result()).isNull();
    }

    @Test
    void refusesADuplicateIdOrADuplicateKey() {
        String secret = VirtualKey.newSecret();
        keys.add(definition("k1", secret), VirtualKeys.CONFIG);

        assertThat(keys.add(definition("k1", VirtualKey.newSecret()), VirtualKeys.ADMIN).cause())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("k1");
        assertThat(keys.add(definition("k2", secret), VirtualKeys.ADMIN).cause())
                .isInstanceOf(IllegalStateException.class).hasMessageNotContaining(secret);
    }

    @Test
    void listsWithoutTheKeyOrItsHash() {
        String first = VirtualKey.newSecret();
        keys.add(definition("k2", VirtualKey.newSecret()), VirtualKeys.ADMIN);
        keys.add(definition("k1", first), VirtualKeys.CONFIG);

        assertThat(keys.list().result()).as("oldest first, then by id").extracting(VirtualKey::id).containsExactly("k1", "k2");
        JsonObject listed = keys.get("k1").result().toJson();
        assertThat(listed.getString("prefix")).isEqualTo(first.substring(0, 7) + "…");
        assertThat(listed.getString("created_at")).isEqualTo("2026-01-02T03:04:05Z");
        assertThat(listed.getString("source")).isEqualTo("config");
        assertThat(listed.encode()).doesNotContain(first).doesNotContain(KeyConfig.sha256(first));
    }

    @Test
    void newSecretsAreLongRandomAndUrlSafe() {
        String a = VirtualKey.newSecret();

        assertThat(a).startsWith("sg-").hasSize(3 + 43).matches("sg-[A-Za-z0-9_-]+");
        assertThat(VirtualKey.newSecret()).isNotEqualTo(a);
        assertThat(VirtualKey.newId()).matches("key-[0-9a-f]{12}");
    }
}
