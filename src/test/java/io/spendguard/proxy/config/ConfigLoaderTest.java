package io.spendguard.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spendguard.proxy.config.ProxyConfig.BudgetConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

    private static final String FULL = """
            listen:   { host: 0.0.0.0, port: 9090 }
            admin:    { host: 127.0.0.1, port: 9091, token: "${ADMIN_TOKEN:-}" }
            gate:
              mode: embedded
              fail_mode: open
              timeout_ms: 300
              sidecar: { socket: /tmp/adapter.sock, tenant_id: "t-1", unit_id: usd_micros }
            ledger:
              kind: memory
            providers:
              openai:    { base_url: "${OPENAI_URL:-https://api.openai.com}", api_key: "${OPENAI_API_KEY:-}" }
              anthropic: { base_url: "https://api.anthropic.com/", api_key: "sk-ant", connect_timeout_ms: 1500, timeout_ms: 30000 }
            pricing: config/pricing.yaml
            auth:
              mode: passthrough
              trust_budget_header: true
            budgets:
              - id: default
                limit_usd: 10.00
                window: monthly
                approval_above_usd: 1.00
                default: true
              - id: team
                limit_usd: 0.03
                window: daily
                timezone: Europe/Paris
            estimation:
              default_max_output_tokens: 2048
              cap_output_to_reservation: true
            limits:
              max_body_bytes: 1048576
            """;

    private static Function<String, String> env(Map<String, String> vars) {
        return vars::get;
    }

    private static ProxyConfig parse(String yaml) {
        return ConfigLoader.parse(yaml, env(Map.of()), "test");
    }

    private static String errorOf(String yaml) {
        try {
            parse(yaml);
        } catch (ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected a ConfigException for:\n" + yaml);
    }

    @Test
    void parsesEveryFieldOfAFullValidFile() {
        ProxyConfig c = ConfigLoader.parse(FULL, env(Map.of("OPENAI_API_KEY", "sk-test")), "test");

        assertThat(c.listen().host()).isEqualTo("0.0.0.0");
        assertThat(c.listen().port()).isEqualTo(9090);
        assertThat(c.admin().endpoint().host()).isEqualTo("127.0.0.1");
        assertThat(c.admin().endpoint().port()).isEqualTo(9091);
        assertThat(c.admin().token()).isEmpty();
        assertThat(ProxyConfig.AdminConfig.loopback(c.admin().endpoint().host())).isTrue();
        assertThat(c.gate().mode()).isEqualTo(GateMode.EMBEDDED);
        assertThat(c.gate().failOpen()).isTrue();
        assertThat(c.gate().timeoutMs()).isEqualTo(300);
        assertThat(c.gate().sidecar().socket()).isEqualTo("/tmp/adapter.sock");
        assertThat(c.gate().sidecar().tenantId()).isEqualTo("t-1");
        assertThat(c.ledger().kind()).isEqualTo(LedgerKind.MEMORY);
        assertThat(c.openai().name()).isEqualTo("openai");
        assertThat(c.openai().baseUrl()).isEqualTo("https://api.openai.com");
        assertThat(c.openai().apiKey()).isEqualTo("sk-test");
        assertThat(c.anthropic().baseUrl()).as("trailing slash trimmed").isEqualTo("https://api.anthropic.com");
        assertThat(c.anthropic().connectTimeoutMs()).isEqualTo(1500);
        assertThat(c.anthropic().timeoutMs()).isEqualTo(30000);
        assertThat(c.pricing()).isEqualTo(Path.of("config/pricing.yaml"));
        assertThat(c.auth().mode()).isEqualTo(AuthMode.PASSTHROUGH);
        assertThat(c.auth().trustBudgetHeader()).isTrue();
        assertThat(c.budgets()).containsExactly(
                new BudgetConfig("default", 10_000_000L, "monthly", "UTC", 1_000_000L, true, null),
                new BudgetConfig("team", 30_000L, "daily", "Europe/Paris", null, false, null));
        assertThat(c.estimation().defaultMaxOutputTokens()).isEqualTo(2048);
        assertThat(c.estimation().capOutputToReservation()).isTrue();
        assertThat(c.limits().maxBodyBytes()).isEqualTo(1_048_576L);
    }

    @Test
    void hiddenCostReservesAreReadWithDefaultsAndChecked() {
        ProxyConfig c = parse("estimation: { hidden_costs: { previous_response_tokens: 1000, hosted_tool_usd: 0.02 } }");

        assertThat(c.estimation().hiddenCosts()).isEqualTo(new ProxyConfig.HiddenCosts(1000, 4_000, 50_000, 8_000, 20_000));
        assertThat(parse("{}").estimation().hiddenCosts()).isEqualTo(ProxyConfig.HiddenCosts.DEFAULTS);
        assertThat(errorOf("estimation: { hidden_costs: { file_input_tokens: -1 } }")).contains("estimation.hidden_costs.file_input_tokens");
        assertThat(errorOf("estimation: { hidden_costs: { hosted_tool_usd: -1 } }")).contains("estimation.hidden_costs.hosted_tool_usd");
        assertThat(errorOf("estimation: { hidden_costs: { web_search: 1 } }")).contains("web_search");
    }

    @Test
    void emptyMappingGivesDocumentedDefaults() {
        ProxyConfig c = parse("{}");

        assertThat(c.listen()).isEqualTo(new ProxyConfig.Endpoint("0.0.0.0", 8080));
        assertThat(c.admin().endpoint()).isEqualTo(new ProxyConfig.Endpoint("127.0.0.1", 8081));
        assertThat(c.gate().failOpen()).isFalse();
        assertThat(c.gate().timeoutMs()).isEqualTo(250);
        assertThat(c.openai().baseUrl()).isEqualTo("https://api.openai.com");
        assertThat(c.anthropic().baseUrl()).isEqualTo("https://api.anthropic.com");
        assertThat(c.auth().trustBudgetHeader()).isFalse();
        assertThat(c.budgets()).isEmpty();
        assertThat(c.estimation().defaultMaxOutputTokens()).isEqualTo(4096);
        assertThat(c.limits().maxBodyBytes()).isEqualTo(ConfigLoader.DEFAULT_MAX_BODY_BYTES);
    }

    @Test
    void substitutesSetVariableOverItsDefault() {
        ProxyConfig c = ConfigLoader.parse(FULL, env(Map.of("OPENAI_URL", "http://localhost:1234/")), "test");

        assertThat(c.openai().baseUrl()).isEqualTo("http://localhost:1234");
    }

    @Test
    void substitutesDefaultWhenVariableIsUnsetOrEmpty() {
        Map<String, String> vars = new HashMap<>();
        vars.put("OPENAI_URL", "");
        ProxyConfig c = ConfigLoader.parse(FULL, env(vars), "test");

        assertThat(c.openai().baseUrl()).isEqualTo("https://api.openai.com");
        assertThat(c.openai().apiKey()).isEmpty();
    }

    @Test
    void substitutesVariableWithoutDefaultWhenSet() {
        ProxyConfig c = ConfigLoader.parse("listen: { port: ${PORT} }\nadmin: { token: '${TOKEN}' }",
                env(Map.of("PORT", "7000", "TOKEN", "s3cr$t\\x")), "test");

        assertThat(c.listen().port()).isEqualTo(7000);
        assertThat(c.admin().token()).as("$ and \\ in a value are taken literally").isEqualTo("s3cr$t\\x");
    }

    @Test
    void missingVariableWithoutDefaultIsAnErrorNamingIt() {
        assertThatThrownBy(() -> ConfigLoader.parse("providers: { openai: { api_key: \"${MY_MISSING_KEY}\" } }",
                env(Map.of()), "test"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("${MY_MISSING_KEY}")
                .hasMessageContaining("not set");
    }

    @Test
    void timeoutBelowOneNamesKeyAndBound() {
        assertThat(errorOf("gate: { timeout_ms: 0 }"))
                .contains("gate.timeout_ms")
                .contains("expected: >= 1");
    }

    @Test
    void nonNumericTimeoutNamesKey() {
        assertThat(errorOf("gate: { timeout_ms: soon }")).contains("gate.timeout_ms").contains("expected: a number");
    }

    @Test
    void fractionalPortNamesKey() {
        assertThat(errorOf("listen: { port: 80.5 }")).contains("listen.port").contains("whole number");
    }

    @Test
    void unknownTopLevelKeyIsNamed() {
        assertThat(errorOf("listen: { port: 1 }\nbudgetz: []")).contains("budgetz").contains("unknown key");
    }

    @Test
    void unknownNestedKeyIsNamedWithItsPath() {
        assertThat(errorOf("gate: { timeout: 100 }")).contains("gate.timeout").contains("unknown key");
        assertThat(errorOf("budgets:\n  - { id: a, limit_usd: 1, windw: daily }"))
                .contains("budgets[0].windw").contains("unknown key");
    }

    @Test
    void badWindowNamesIndexedKey() {
        assertThat(errorOf("budgets:\n  - { id: a, limit_usd: 1, window: hourly }"))
                .contains("budgets[0].window")
                .contains("hourly");
    }

    @Test
    void badTimezoneNamesIndexedKey() {
        assertThat(errorOf("budgets:\n  - { id: a, limit_usd: 1 }\n  - { id: b, limit_usd: 1, timezone: Mars/Olympus }"))
                .contains("budgets[1].timezone");
    }

    @Test
    void missingLimitNamesKey() {
        assertThat(errorOf("budgets:\n  - { id: a, window: daily }")).contains("budgets[0].limit_usd").contains("missing");
    }

    @Test
    void negativeLimitNamesKey() {
        assertThat(errorOf("budgets:\n  - { id: a, limit_usd: -1 }")).contains("budgets[0].limit_usd").contains(">= 0");
    }

    @Test
    void missingBudgetIdNamesKey() {
        assertThat(errorOf("budgets:\n  - { limit_usd: 1 }")).contains("budgets[0].id");
    }

    @Test
    void aBudgetIdOutsideTheIdGrammarNamesKey() {
        for (String id : new String[] {"\"..\"", "\".\"", "\"a/b\"", "\"a b\"", "\"a\\nb\""}) {
            assertThat(errorOf("budgets:\n  - { id: " + id + ", limit_usd: 1 }")).as(id)
                    .contains("budgets[0].id: \"").contains("(expected: 1 to 128 letters, digits");
        }
        assertThat(parse("budgets:\n  - { id: \"team-a.b:c_1\", limit_usd: 1 }").budgets().get(0).id()).isEqualTo("team-a.b:c_1");
    }

    @Test
    void nonLoopbackAdminWithoutTokenNamesAdminToken() {
        assertThat(errorOf("admin: { host: 0.0.0.0 }")).contains("admin.token");
        assertThat(errorOf("admin: { host: 10.0.0.5, token: \"   \" }")).contains("admin.token");
    }

    @Test
    void nonLoopbackAdminWithTokenIsAccepted() {
        ProxyConfig c = parse("admin: { host: 0.0.0.0, token: abc }");

        assertThat(ProxyConfig.AdminConfig.loopback(c.admin().endpoint().host())).isFalse();
        assertThat(c.admin().token()).isEqualTo("abc");
    }

    @Test
    void approvalTtlIsADurationWithAUnitAndContractsAPath() {
        assertThat(parse("").approvalTtl()).isEqualTo(java.time.Duration.ofHours(1));
        assertThat(parse("").contracts()).isNull();
        assertThat(parse("approval_ttl: 30m").approvalTtl()).isEqualTo(java.time.Duration.ofMinutes(30));
        assertThat(parse("approval_ttl: 1500ms").approvalTtl()).isEqualTo(java.time.Duration.ofMillis(1500));
        assertThat(parse("approval_ttl: 2d").approvalTtl()).isEqualTo(java.time.Duration.ofDays(2));
        assertThat(parse("contracts: rules/contract.yaml").contracts()).isEqualTo(java.nio.file.Path.of("rules/contract.yaml"));
        for (String bad : new String[] {"3600", "1 hour", "0s", "-5m", "1.5h", "1w"}) {
            assertThat(errorOf("approval_ttl: \"" + bad + "\"")).as(bad).startsWith("approval_ttl: " + bad + " (expected: ");
        }
        assertThat(errorOf("contracts: \"\"")).startsWith("contracts: missing");
    }

    @Test
    void loopbackAdminNeedsNoToken() {
        assertThat(ProxyConfig.AdminConfig.loopback(parse("admin: { host: localhost }").admin().endpoint().host())).isTrue();
        assertThat(ProxyConfig.AdminConfig.loopback(parse("admin: { host: \"::1\" }").admin().endpoint().host())).isTrue();
    }

    @Test
    void ledgerDefaultsToASqliteFile() {
        ProxyConfig c = parse("");
        assertThat(c.ledger().kind()).isEqualTo(LedgerKind.SQLITE);
        assertThat(c.ledger().path()).isEqualTo("data/spendguard.db");
        assertThat(c.ledger().sweepIntervalMs()).isEqualTo(5000);
    }

    @Test
    void postgresLedgerNeedsAUrl() {
        assertThat(errorOf("ledger: { kind: postgres }")).contains("ledger.url").contains("missing");
        assertThat(parse("ledger: { kind: postgres, url: \"postgresql://u@h/db\", pool_size: 4 }").ledger().poolSize()).isEqualTo(4);
        assertThat(parse("ledger: { kind: postgres, url: \"postgresql://u:pw-secret@h:5432/db\" }").ledger().toString())
                .contains("postgresql://u:***@h:5432/db").doesNotContain("pw-secret");
    }

    @Test
    void unknownLedgerKindListsChoices() {
        assertThat(errorOf("ledger: { kind: redis }")).contains("ledger.kind").contains("memory, sqlite, postgres");
    }

    @Test
    void sidecarGateModeNeedsATenant() {
        assertThat(errorOf("gate: { mode: sidecar }")).contains("gate.sidecar.tenant_id").contains("missing");
    }

    @Test
    void sidecarGateModeNeedsASocket() {
        assertThat(errorOf("gate: { mode: sidecar, sidecar: { socket: \"\", tenant_id: t-1 } }"))
                .contains("gate.sidecar.socket").contains("missing");
    }

    @Test
    void sidecarGateModeWithTenantGivesDocumentedDefaults() {
        ProxyConfig c = parse("gate: { mode: sidecar, sidecar: { tenant_id: t-1 } }");

        assertThat(c.gate().mode()).isEqualTo(GateMode.SIDECAR);
        assertThat(c.gate().sidecar()).isEqualTo(
                new ProxyConfig.SidecarConfig("/var/run/spendguard/adapter.sock", "t-1", "usd_micros", 30_000));
    }

    @Test
    void sidecarHandshakeTimeoutIsValidated() {
        assertThat(parse("gate: { sidecar: { handshake_timeout_ms: 500 } }").gate().sidecar().handshakeTimeoutMs())
                .isEqualTo(500);
        assertThat(errorOf("gate: { sidecar: { handshake_timeout_ms: 0 } }"))
                .contains("gate.sidecar.handshake_timeout_ms").contains(">= 1");
    }

    @Test
    void nonHttpBaseUrlNamesKey() {
        assertThat(errorOf("providers: { openai: { base_url: \"ftp://x\" } }")).contains("providers.openai.base_url");
    }

    @Test
    void nonBooleanNamesKey() {
        assertThat(errorOf("auth: { trust_budget_header: yes please }")).contains("auth.trust_budget_header");
    }

    @Test
    void limitUsdBecomesMicroDollars() {
        ProxyConfig c = parse("budgets:\n  - { id: a, limit_usd: 10.00, approval_above_usd: 0.0000015 }");

        assertThat(c.budgets().get(0).limitMicros()).isEqualTo(10_000_000L);
        assertThat(c.budgets().get(0).approvalAboveMicros()).as("half a µUSD rounds half-up").isEqualTo(2L);
    }

    @Test
    void absurdLimitNamesKey() {
        assertThat(errorOf("budgets:\n  - { id: a, limit_usd: 10000000000000 }")).contains("budgets[0].limit_usd");
    }

    @Test
    void singleBudgetBecomesDefaultAutomatically() {
        ProxyConfig c = parse("budgets:\n  - { id: only, limit_usd: 5 }");

        assertThat(c.budgets()).singleElement().satisfies(b -> {
            assertThat(b.id()).isEqualTo("only");
            assertThat(b.isDefault()).isTrue();
            assertThat(b.window()).isEqualTo("none");
            assertThat(b.timezone()).isEqualTo("UTC");
        });
    }

    @Test
    void twoBudgetsWithoutDefaultStayNonDefault() {
        ProxyConfig c = parse("budgets:\n  - { id: a, limit_usd: 5 }\n  - { id: b, limit_usd: 5 }");

        assertThat(c.budgets()).noneMatch(BudgetConfig::isDefault);
    }

    @Test
    void twoDefaultBudgetsIsAnError() {
        assertThat(errorOf("budgets:\n  - { id: a, limit_usd: 5, default: true }\n  - { id: b, limit_usd: 5, default: true }"))
                .contains("budgets")
                .contains("default")
                .contains("at most 1");
    }

    @Test
    void duplicateBudgetIdsIsAnError() {
        assertThat(errorOf("budgets:\n  - { id: a, limit_usd: 5 }\n  - { id: a, limit_usd: 6 }")).contains("duplicate id");
    }

    @Test
    void aProviderBaseUrlIsTakenApartIntoSchemeHostPortAndPath() {
        ProxyConfig c = ConfigLoader.parse("providers: { openai: { base_url: \"https://gw.example:8443/openai/\" } }", env(Map.of()), "t");
        assertThat(c.openai().origin()).isEqualTo(new Origin(true, "gw.example", 8443, "/openai"));
        assertThat(c.openai().baseUrl()).isEqualTo("https://gw.example:8443/openai");
        for (String bad : new String[] {"https://user:pw@api.openai.com", "https://api.openai.com?x=1", "https://api.openai.com#f",
                "ftp://api.openai.com", "https:///v1", "https://api.openai.com/a/../b", "https://api.openai.com/a%2Fb"}) {
            assertThat(errorOf("providers: { openai: { base_url: \"" + bad + "\" } }")).as(bad).contains("providers.openai.base_url");
        }
    }

    @Test
    void invalidYamlNamesTheSource() {
        assertThatThrownBy(() -> ConfigLoader.parse("listen: [unclosed", env(Map.of()), "my.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("my.yaml: not valid YAML");
    }

    @Test
    void topLevelListIsRejected() {
        assertThatThrownBy(() -> ConfigLoader.parse("- a\n- b", env(Map.of()), "my.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("expected a mapping at the top level");
    }

    @Test
    void sectionGivenAsScalarNamesKey() {
        assertThat(errorOf("gate: fast")).contains("gate").contains("expected a mapping");
    }

    @Test
    void bodyLimitBelowMinimumNamesKey() {
        assertThat(errorOf("limits: { max_body_bytes: 10 }")).contains("limits.max_body_bytes").contains(">= 1024");
    }

    @Test
    void shippedProductionConfigParsesWithNoVariablesSet() {
        ProxyConfig c = ConfigLoader.load("config/spendguard.yaml", env(Map.of()));

        assertThat(c.budgets()).singleElement().satisfies(b -> assertThat(b.limitMicros()).isEqualTo(10_000_000L));
    }

    @Test
    void variableReferenceInCommentIsNotSubstituted() {
        ProxyConfig c = parse("# set ${SOME_UNSET_VAR} to override\nlisten: { port: 1234 }");

        assertThat(c.listen().port()).isEqualTo(1234);
    }

    @Test
    void commentOnlyFileGivesDocumentedDefaults() {
        ProxyConfig c = parse("# nothing configured yet\n");

        assertThat(c.listen()).isEqualTo(new ProxyConfig.Endpoint("0.0.0.0", 8080));
    }

    @Test
    void shippedProductionConfigParses() {
        ProxyConfig c = ConfigLoader.load("config/spendguard.yaml", env(Map.of()));

        assertThat(c.budgets()).singleElement().satisfies(b -> {
            assertThat(b.limitMicros()).isEqualTo(10_000_000L);
            assertThat(b.isDefault()).isTrue();
        });
        assertThat(ProxyConfig.AdminConfig.loopback(c.admin().endpoint().host())).isTrue();
    }

    @Test
    void shippedDemoConfigParsesWithMockUrl() {
        ProxyConfig c = ConfigLoader.load("config/demo.yaml", env(Map.of("MOCK_PROVIDER_URL", "http://127.0.0.1:9999")));

        assertThat(c.openai().baseUrl()).isEqualTo("http://127.0.0.1:9999");
        assertThat(c.budgets()).extracting(BudgetConfig::id).containsExactly("demo", "team");
        assertThat(c.budgets().get(0).limitMicros()).isEqualTo(30_000L);
        assertThat(c.budgets().get(1).approvalAboveMicros()).isEqualTo(50_000L);
    }

    @Test
    void demoConfigWithoutMockUrlNamesTheVariable() {
        assertThatThrownBy(() -> ConfigLoader.load("config/demo.yaml", env(Map.of())))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("MOCK_PROVIDER_URL");
    }
}
