package io.spendguard.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.config.ProxyConfig.KeyConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code auth.mode: virtual_keys} and {@code auth.keys}: what loads, and errors that name the key path without echoing a key. */
class AuthKeysConfigTest {
    private static final String KEY = "sg-test-key-abcdefghijklmnop";
    private static final String KEY_SHA256 = "174513ca0a0d589d7472770eaac2c4d0ee011cb063c41cfe5fd3a34b5c61a102";
    private static final String BASE = """
            providers:
              openai: { api_key: sk-provider }
            budgets:
              - { id: a, limit_usd: 5 }
              - { id: b, limit_usd: 5 }
            """;

    private static ProxyConfig parse(String auth, Map<String, String> env) {
        return ConfigLoader.parse(BASE + auth, env::get, "test");
    }

    private static String errorOf(String yaml) {
        try {
            ConfigLoader.parse(yaml, name -> null, "test");
        } catch (ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected a ConfigException for:\n" + yaml);
    }

    private static String authErrorOf(String auth) {
        return errorOf(BASE + auth);
    }

    /** {@code auth:} in virtual_keys mode with these {@code keys:} entries (flow mappings). */
    private static String keys(String... entries) {
        StringBuilder yaml = new StringBuilder("auth:\n  mode: virtual_keys\n  keys:\n");
        for (String e : entries) {
            yaml.append("    - ").append(e).append('\n');
        }
        return yaml.toString();
    }

    @Test
    void loadsKeysByHashAndByPlaintextKeepingOnlyTheHash() {
        ProxyConfig c = parse("""
                auth:
                  mode: virtual_keys
                  keys:
                    - { id: by-hash, key_sha256: "%s", tenant: acme, budget_id: a }
                    - { id: by-env, key: "${TEAM_KEY}", budget_id: b, allow_budget_header: true, name: CI runner }
                """.formatted(KEY_SHA256.toUpperCase()), Map.of("TEAM_KEY", "sg-from-the-environment-0123"));

        assertThat(c.auth().virtualKeys()).isTrue();
        assertThat(c.auth().keys()).containsExactly(
                new KeyConfig("by-hash", null, "acme", "a", false, KEY_SHA256, null),
                new KeyConfig("by-env", "CI runner", "default", "b", true,
                        KeyConfig.sha256("sg-from-the-environment-0123"), "sg-from…"));
        assertThat(c.auth().keys().get(1).toString()).doesNotContain("sg-from-the-environment-0123")
                .doesNotContain(KeyConfig.sha256("sg-from-the-environment-0123"));
        assertThat(KeyConfig.sha256(KEY)).as("the digest operators compute with sha256sum").isEqualTo(KEY_SHA256);
    }

    @Test
    void virtualKeysModeWithoutKeysInTheFileIsValid() {
        ProxyConfig c = parse("auth: { mode: virtual_keys }", Map.of());

        assertThat(c.auth().keys()).isEmpty();
        assertThat(c.auth().trustBudgetHeader()).isFalse();
    }

    @Test
    void passthroughIsTheDefaultWithNoKeys() {
        ProxyConfig c = ConfigLoader.parse("{}", name -> null, "test");

        assertThat(c.auth().mode()).isEqualTo(AuthMode.PASSTHROUGH);
        assertThat(c.auth().virtualKeys()).isFalse();
        assertThat(c.auth().keys()).isEmpty();
    }

    @Test
    void virtualKeysWithNeitherProviderKeyIsAnError() {
        assertThat(errorOf("auth: { mode: virtual_keys }"))
                .contains("auth.mode").contains("providers.openai.api_key").contains("providers.anthropic.api_key");
    }

    @Test
    void virtualKeysWithOnlyTheAnthropicKeyIsValid() {
        ProxyConfig c = ConfigLoader.parse("providers: { anthropic: { api_key: sk-ant } }\nauth: { mode: virtual_keys }",
                name -> null, "test");

        assertThat(c.anthropic().hasApiKey()).isTrue();
        assertThat(c.openai().hasApiKey()).isFalse();
    }

    @Test
    void missingBudgetIdNamesTheIndexedKey() {
        assertThat(authErrorOf(keys("{ id: one, key_sha256: \"%s\", budget_id: a }".formatted(KEY_SHA256),
                "{ id: two, key: \"sg-another-key-0123456789\" }")))
                .startsWith("auth.keys[1].budget_id: missing");
    }

    @Test
    void budgetThatIsNotConfiguredNamesTheKeyAndListsTheBudgets() {
        assertThat(authErrorOf("auth: { mode: virtual_keys, keys: [ { id: k, key_sha256: \"%s\", budget_id: zzz } ] }"
                .formatted(KEY_SHA256)))
                .contains("auth.keys[0].budget_id: zzz").contains("a, b");
    }

    @Test
    void budgetsAreNotCheckedWhenTheyLiveInTheSidecar() {
        ProxyConfig c = parse("""
                gate: { mode: sidecar, sidecar: { tenant_id: t-1 } }
                auth: { mode: virtual_keys, keys: [ { id: k, key_sha256: "%s", budget_id: in-the-sidecar } ] }
                """.formatted(KEY_SHA256), Map.of());

        assertThat(c.auth().keys()).singleElement().extracting(KeyConfig::budgetId).isEqualTo("in-the-sidecar");
    }

    @Test
    void keyAndHashTogetherOrNeitherIsAnError() {
        assertThat(authErrorOf("auth: { mode: virtual_keys, keys: [ { id: k, key: \"%s\", key_sha256: \"%s\", budget_id: a } ] }"
                .formatted(KEY, KEY_SHA256))).contains("auth.keys[0].key_sha256").contains("together");
        assertThat(authErrorOf("auth: { mode: virtual_keys, keys: [ { id: k, budget_id: a } ] }"))
                .contains("auth.keys[0].key_sha256: missing");
    }

    @Test
    void plaintextKeyThatIsNotAVirtualKeyIsAnErrorThatDoesNotShowIt() {
        String message = authErrorOf("auth: { mode: virtual_keys, keys: [ { id: k, key: sk-provider-key-0123456789, budget_id: a } ] }");

        assertThat(message).contains("auth.keys[0].key").contains("sg-").doesNotContain("sk-provider-key-0123456789");
        assertThat(authErrorOf("auth: { mode: virtual_keys, keys: [ { id: k, key: sg-short, budget_id: a } ] }"))
                .contains("auth.keys[0].key").doesNotContain("sg-short");
    }

    @Test
    void malformedHashNamesTheKey() {
        assertThat(authErrorOf("auth: { mode: virtual_keys, keys: [ { id: k, key_sha256: abc123, budget_id: a } ] }"))
                .contains("auth.keys[0].key_sha256").contains("64 hex digits");
    }

    @Test
    void duplicateIdsAndDuplicateKeysAreErrors() {
        assertThat(authErrorOf(keys("{ id: k, key_sha256: \"%s\", budget_id: a }".formatted(KEY_SHA256),
                "{ id: k, key: \"sg-another-key-0123456789\", budget_id: b }")))
                .contains("auth.keys[1].id: k").contains("duplicate");
        assertThat(authErrorOf(keys("{ id: k1, key_sha256: \"%s\", budget_id: a }".formatted(KEY_SHA256),
                "{ id: k2, key: \"%s\", budget_id: b }".formatted(KEY))))
                .contains("auth.keys[1].key").contains("auth.keys[0]").doesNotContain(KEY);
    }

    @Test
    void unknownKeyFieldAndBadIdAreNamed() {
        assertThat(authErrorOf("auth: { mode: virtual_keys, keys: [ { id: k, key_sha256: \"%s\", budget_id: a, budget: b } ] }"
                .formatted(KEY_SHA256))).contains("auth.keys[0].budget").contains("unknown key");
        assertThat(authErrorOf("auth: { mode: virtual_keys, keys: [ { id: \"a b\", key_sha256: \"%s\", budget_id: a } ] }"
                .formatted(KEY_SHA256))).contains("auth.keys[0].id");
        assertThat(authErrorOf("auth: { mode: virtual_keys, keys: [ { id: k, key_sha256: \"%s\", budget_id: a, allow_budget_header: maybe } ] }"
                .formatted(KEY_SHA256))).contains("auth.keys[0].allow_budget_header");
    }

    @Test
    void keysWithPassthroughModeAreAnError() {
        assertThat(authErrorOf("auth: { keys: [ { id: k, key_sha256: \"%s\", budget_id: a } ] }".formatted(KEY_SHA256)))
                .contains("auth.keys").contains("virtual_keys");
    }

    @Test
    void unknownAuthModeListsTheChoices() {
        assertThat(authErrorOf("auth: { mode: oauth }")).contains("auth.mode").contains("passthrough, virtual_keys");
    }
}
