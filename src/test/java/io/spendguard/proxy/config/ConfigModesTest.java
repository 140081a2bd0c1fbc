package io.spendguard.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spendguard.proxy.estimate.PriceTable;
import java.util.Arrays;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every mode in the configuration is read once into its enum: each value the file may hold parses to
 * its constant, the defaults are the documented ones, and anything else stops start-up with the key,
 * the value and the allowed values, the labels spelled exactly as in the file and the metrics.
 */
class ConfigModesTest {
    /** Enough around each mode for the values that need more (a sidecar tenant, a provider key, a URL). */
    private static final String BASE = """
            gate: { mode: %s, fail_mode: %s, sidecar: { tenant_id: t-1 } }
            ledger: { kind: %s, url: "postgresql://u@h/db" }
            auth: { mode: %s }
            providers: { openai: { api_key: sk-test } }
            """;

    private static ProxyConfig parse(String gateMode, String failMode, String ledgerKind, String authMode) {
        return ConfigLoader.parse(BASE.formatted(gateMode, failMode, ledgerKind, authMode), name -> null, "test");
    }

    @ParameterizedTest
    @EnumSource(GateMode.class)
    void everyGateModeParsesFromItsLabel(GateMode mode) {
        assertThat(parse(mode.label(), "closed", "memory", "passthrough").gate().mode()).isEqualTo(mode);
    }

    @ParameterizedTest
    @EnumSource(FailMode.class)
    void everyFailModeParsesFromItsLabel(FailMode mode) {
        ProxyConfig.GateConfig gate = parse("embedded", mode.label(), "memory", "passthrough").gate();
        assertThat(gate.failMode()).isEqualTo(mode);
        assertThat(gate.failOpen()).isEqualTo(mode == FailMode.OPEN);
    }

    @ParameterizedTest
    @EnumSource(LedgerKind.class)
    void everyLedgerKindParsesFromItsLabel(LedgerKind kind) {
        assertThat(parse("embedded", "closed", kind.label(), "passthrough").ledger().kind()).isEqualTo(kind);
    }

    @ParameterizedTest
    @EnumSource(AuthMode.class)
    void everyAuthModeParsesFromItsLabel(AuthMode mode) {
        ProxyConfig.AuthConfig auth = parse("embedded", "closed", "memory", mode.label()).auth();
        assertThat(auth.mode()).isEqualTo(mode);
        assertThat(auth.virtualKeys()).isEqualTo(mode == AuthMode.VIRTUAL_KEYS);
    }

    @Test
    void leftOutModesTakeTheDocumentedDefaults() {
        ProxyConfig c = ConfigLoader.parse("{}", name -> null, "test");
        assertThat(c.gate().mode()).isEqualTo(GateMode.EMBEDDED);
        assertThat(c.gate().failMode()).isEqualTo(FailMode.CLOSED);
        assertThat(c.ledger().kind()).isEqualTo(LedgerKind.SQLITE);
        assertThat(c.auth().mode()).isEqualTo(AuthMode.PASSTHROUGH);
        assertThat(c.openai().provider()).isEqualTo(Provider.OPENAI);
        assertThat(c.anthropic().provider()).isEqualTo(Provider.ANTHROPIC);
        assertThat(c.openai().name()).isEqualTo("openai");
        assertThat(c.anthropic().name()).isEqualTo("anthropic");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            gate: { mode: standalone }        | gate.mode: standalone (expected one of: embedded, sidecar)
            gate: { mode: SIDECAR }           | gate.mode: SIDECAR (expected one of: embedded, sidecar)
            gate: { fail_mode: half }         | gate.fail_mode: half (expected one of: closed, open)
            gate: { fail_mode: Open }         | gate.fail_mode: Open (expected one of: closed, open)
            ledger: { kind: redis }           | ledger.kind: redis (expected one of: memory, sqlite, postgres)
            auth: { mode: virtual-keys }      | auth.mode: virtual-keys (expected one of: passthrough, virtual_keys)
            auth: { mode: true }              | auth.mode: true (expected one of: passthrough, virtual_keys)
            """)
    void anUnknownModeStopsStartUpNamingTheKeyAndTheAllowedValues(String yaml, String message) {
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, name -> null, "test"))
                .isInstanceOf(ConfigException.class)
                .hasMessage(message);
    }

    @Test
    void aPriceOfAnUnknownProviderNamesTheKeyAndTheProviders() {
        String prices = """
                version: t
                models:
                  gpt-x: { provider: azure, input: 1, output: 1 }
                """;
        assertThatThrownBy(() -> PriceTable.parse(prices, "pricing.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("models.gpt-x.provider: azure (expected one of: openai, anthropic)");
        assertThat(PriceTable.parse(prices.replace("azure", "anthropic"), "pricing.yaml").lookup("gpt-x").provider())
                .isEqualTo(Provider.ANTHROPIC);
    }

    @Test
    void anyModeEnumIsReadByItsLabelThroughConfigNode() {
        Function<String, String> env = name -> null;
        ConfigNode node = ConfigNode.parse("a: { provider: anthropic, kind: nope }", env, "t.yaml").child("a");
        assertThat(node.choice("provider", Provider.OPENAI)).isEqualTo(Provider.ANTHROPIC);
        assertThat(node.choice("missing", Provider.OPENAI)).isEqualTo(Provider.OPENAI);
        assertThatThrownBy(() -> node.choice("kind", LedgerKind.SQLITE))
                .isInstanceOf(ConfigException.class)
                .hasMessage("a.kind: nope (expected one of: memory, sqlite, postgres)");
    }

    /** Metric labels, log fields and error bodies print these: they must not change. */
    @Test
    void labelsAreTheWordsTheFileAndTheMetricsUse() {
        assertThat(Arrays.stream(GateMode.values()).map(GateMode::label)).containsExactly("embedded", "sidecar");
        assertThat(Arrays.stream(FailMode.values()).map(FailMode::label)).containsExactly("closed", "open");
        assertThat(Arrays.stream(LedgerKind.values()).map(LedgerKind::label)).containsExactly("memory", "sqlite", "postgres");
        assertThat(Arrays.stream(AuthMode.values()).map(AuthMode::label)).containsExactly("passthrough", "virtual_keys");
        assertThat(Arrays.stream(Provider.values()).map(Provider::label)).containsExactly("openai", "anthropic");
        assertThat(Provider.ANTHROPIC).hasToString("anthropic");
        assertThat("gate " + GateMode.SIDECAR + ", ledger " + LedgerKind.POSTGRES).isEqualTo("gate sidecar, ledger postgres");
    }
}
