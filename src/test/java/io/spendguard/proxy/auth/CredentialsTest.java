package io.spendguard.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.spendguard.proxy.config.AuthMode;
import io.spendguard.proxy.config.Provider;
import io.spendguard.proxy.config.ProxyConfig.AuthConfig;
import io.spendguard.proxy.config.ProxyConfig.KeyConfig;
import io.spendguard.proxy.config.ProxyConfig.ProviderConfig;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.vertx.core.MultiMap;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Who a call is for and what reaches the provider: virtual keys are swapped for the configured
 * provider key on OpenAI and Anthropic routes alike, and anything else is refused without echoing it.
 */
class CredentialsTest {
    private static final String OPENAI_KEY = "sk-openai-provider-key";
    private static final String ANTHROPIC_KEY = "sk-ant-provider-key";
    private static final String KEY_A = "sg-aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private static final String KEY_B = "sg-bbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    private final MemoryVirtualKeys keys = new MemoryVirtualKeys(Clock.systemUTC());

    CredentialsTest() {
        keys.add(definition("a", KEY_A, false), VirtualKeys.CONFIG);
        keys.add(definition("b", KEY_B, true), VirtualKeys.ADMIN);
    }

    private static KeyConfig definition(String id, String key, boolean allowHeader) {
        return new KeyConfig(id, null, "tenant-" + id, "budget-" + id, allowHeader, KeyConfig.sha256(key), KeyConfig.prefix(key));
    }

    private Credentials virtualKeys(String openaiKey, String anthropicKey, boolean trustHeader) {
        return new Credentials(new AuthConfig(AuthMode.VIRTUAL_KEYS, trustHeader, List.of()),
                provider(Provider.OPENAI, openaiKey), provider(Provider.ANTHROPIC, anthropicKey), keys);
    }

    private static Credentials passthrough(String openaiKey) {
        return new Credentials(new AuthConfig(AuthMode.PASSTHROUGH, false, List.of()),
                provider(Provider.OPENAI, openaiKey), provider(Provider.ANTHROPIC, ""), null);
    }

    private static ProviderConfig provider(Provider name, String key) {
        return new ProviderConfig(name, io.spendguard.proxy.config.Origin.parse("http://127.0.0.1:1"), key, 1000, 1000);
    }

    private static MultiMap headers(String... pairs) {
        MultiMap m = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i < pairs.length; i += 2) {
            m.add(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    private static ProxyException refusal(Runnable call) {
        return catchThrowableOfType(ProxyException.class, call::run);
    }

    @Test
    void anthropicXApiKeyIsSwappedForTheAnthropicProviderKey() {
        Credentials c = virtualKeys(OPENAI_KEY, ANTHROPIC_KEY, false);
        MultiMap client = headers("x-api-key", KEY_A, "anthropic-version", "2023-06-01");

        VirtualKey key = c.authenticate(client, Provider.ANTHROPIC);
        MultiMap upstream = headers("x-api-key", KEY_A, "anthropic-version", "2023-06-01");
        c.authorize(upstream, Provider.ANTHROPIC, key);

        assertThat(key.id()).isEqualTo("a");
        assertThat(key.tenant()).isEqualTo("tenant-a");
        assertThat(upstream.getAll("x-api-key")).containsExactly(ANTHROPIC_KEY);
        assertThat(upstream.get("authorization")).isNull();
        assertThat(upstream.get("anthropic-version")).isEqualTo("2023-06-01");
    }

    @Test
    void anthropicRouteAlsoAcceptsABearerVirtualKeyAndDropsIt() {
        Credentials c = virtualKeys(OPENAI_KEY, ANTHROPIC_KEY, false);
        MultiMap client = headers("authorization", "Bearer " + KEY_B);

        VirtualKey key = c.authenticate(client, Provider.ANTHROPIC);
        c.authorize(client, Provider.ANTHROPIC, key);

        assertThat(key.id()).isEqualTo("b");
        assertThat(client.get("authorization")).isNull();
        assertThat(client.get("x-api-key")).isEqualTo(ANTHROPIC_KEY);
    }

    @Test
    void openAiBearerVirtualKeyIsSwappedAndEveryOtherClientCredentialRemoved() {
        Credentials c = virtualKeys(OPENAI_KEY, ANTHROPIC_KEY, false);
        MultiMap client = headers("Authorization", "bearer  " + KEY_A + " ", "x-api-key", "sk-smuggled");

        VirtualKey key = c.authenticate(client, Provider.OPENAI);
        c.authorize(client, Provider.OPENAI, key);

        assertThat(key.budgetId()).isEqualTo("budget-a");
        assertThat(client.getAll("authorization")).containsExactly("Bearer " + OPENAI_KEY);
        assertThat(client.get("x-api-key")).isNull();
    }

    @Test
    void missingUnknownRevokedAndRawProviderKeysAreRefusedWithoutEchoingThem() {
        Credentials c = virtualKeys(OPENAI_KEY, ANTHROPIC_KEY, false);
        keys.revoke("b");
        for (MultiMap h : List.of(headers(), headers("authorization", "Basic dXNlcjpwdw=="),
                headers("authorization", "Bearer sg-unknown-key-1234567890"), headers("authorization", "Bearer " + KEY_B),
                headers("authorization", "Bearer " + OPENAI_KEY), headers("x-api-key", KEY_A))) {
            ProxyException e = refusal(() -> c.authenticate(h, Provider.OPENAI));
            assertThat(e.error()).as(h.toString()).isEqualTo(ProxyError.UNAUTHENTICATED);
            assertThat(e.getMessage()).doesNotContain(KEY_B).doesNotContain(OPENAI_KEY).doesNotContain("sg-unknown");
        }
        ProxyException raw = refusal(() -> c.authenticate(headers("x-api-key", ANTHROPIC_KEY), Provider.ANTHROPIC));
        assertThat(raw.error()).isEqualTo(ProxyError.UNAUTHENTICATED);
        assertThat(raw.getMessage()).contains("sg-").doesNotContain(ANTHROPIC_KEY);
    }

    @Test
    void providerWithoutAConfiguredKeyIsAServerErrorNamingTheSetting() {
        Credentials c = virtualKeys(OPENAI_KEY, "", false);

        ProxyException e = refusal(() -> c.authenticate(headers("x-api-key", KEY_A), Provider.ANTHROPIC));

        assertThat(e.error()).isEqualTo(ProxyError.INTERNAL);
        assertThat(e.getMessage()).contains("providers.anthropic.api_key").doesNotContain(KEY_A);
        assertThat(c.authenticate(headers("authorization", "Bearer " + KEY_A), Provider.OPENAI).id()).isEqualTo("a");
    }

    @Test
    void keysBudgetAppliesAndTheHeaderIsHonouredOnlyWhenAllowed() {
        Credentials c = virtualKeys(OPENAI_KEY, ANTHROPIC_KEY, false);
        VirtualKey a = keys.find(KeyConfig.sha256(KEY_A));
        VirtualKey b = keys.find(KeyConfig.sha256(KEY_B));

        assertThat(c.budgetId(a, null)).isEqualTo("budget-a");
        assertThat(refusal(() -> c.budgetId(a, "budget-b")).error()).isEqualTo(ProxyError.BUDGET_HEADER_NOT_TRUSTED);
        assertThat(c.budgetId(b, "budget-a")).as("allow_budget_header").isEqualTo("budget-a");
        assertThat(virtualKeys(OPENAI_KEY, ANTHROPIC_KEY, true).budgetId(a, "budget-b")).as("trust_budget_header").isEqualTo("budget-b");
    }

    @Test
    void passthroughForwardsTheClientKeyAndFillsInTheConfiguredOne() {
        MultiMap own = headers("authorization", "Bearer sk-client");
        passthrough("").authenticate(own, Provider.OPENAI);
        passthrough("").authorize(own, Provider.OPENAI, null);
        MultiMap none = headers();
        passthrough(OPENAI_KEY).authenticate(none, Provider.OPENAI);
        passthrough(OPENAI_KEY).authorize(none, Provider.OPENAI, null);

        assertThat(own.get("authorization")).isEqualTo("Bearer sk-client");
        assertThat(none.get("authorization")).isEqualTo("Bearer " + OPENAI_KEY);
        assertThat(refusal(() -> passthrough("").authenticate(headers(), Provider.OPENAI)).error()).isEqualTo(ProxyError.UNAUTHENTICATED);
        assertThat(passthrough("").budgetId(null, null)).isNull();
        assertThat(refusal(() -> passthrough("").budgetId(null, "x")).error()).isEqualTo(ProxyError.BUDGET_HEADER_NOT_TRUSTED);
    }

    @Test
    void aCallerIsTheVirtualKeyOrADigestOfThePassthroughCredentialNeverTheCredential() {
        VirtualKey a = virtualKeys(OPENAI_KEY, ANTHROPIC_KEY, false).authenticate(headers("authorization", "Bearer " + KEY_A), Provider.OPENAI);
        String one = Credentials.caller(headers("authorization", "Bearer sk-client-one"), null);

        assertThat(Credentials.caller(headers("authorization", "Bearer " + KEY_A), a)).isEqualTo("key:a");
        assertThat(one).startsWith("cred:").doesNotContain("sk-client-one").doesNotContain("client")
                .isEqualTo(Credentials.caller(headers("Authorization", "Bearer sk-client-one"), null));
        assertThat(Credentials.caller(headers("authorization", "Bearer sk-client-two"), null)).isNotEqualTo(one);
        assertThat(Credentials.caller(headers("x-api-key", "sk-client-one"), null))
                .isNotEqualTo(Credentials.caller(headers("x-api-key", "sk-client-two"), null)).doesNotContain("client");
        assertThat(Credentials.caller(headers(), null)).isEqualTo(Credentials.OPERATOR);
    }

    @Test
    void aWellFormedCredentialIsToken68OfAtMostTheLimit() {
        java.util.regex.Pattern token68 = java.util.regex.Pattern.compile(
                "[A-Za-z0-9._~+/-]{1," + Credentials.MAX_KEY_CHARS + "}={0,2}");
        char[] alphabet = "aZ9._~+/-= \"@é".toCharArray();
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 100_000; i++) {
            StringBuilder t = new StringBuilder();
            for (int n = random.nextInt(7); n > 0; n--) {
                t.append(alphabet[random.nextInt(alphabet.length)]);
            }
            assertThat(Credentials.wellFormed(t.toString())).as(t.toString()).isEqualTo(token68.matcher(t).matches());
        }
        assertThat(Credentials.wellFormed("a".repeat(Credentials.MAX_KEY_CHARS) + "==")).isTrue();
        assertThat(Credentials.wellFormed("a".repeat(Credentials.MAX_KEY_CHARS + 1))).isFalse();
        assertThat(Credentials.wellFormed(null)).isFalse();
    }
}
