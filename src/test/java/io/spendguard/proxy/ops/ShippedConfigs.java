package io.spendguard.proxy.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.spendguard.proxy.config.ConfigException;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.ProxyConfig;
import java.io.IOException;
import java.util.Map;

/**
 * Loads the configuration files shipped in {@code deploy/} and {@code k8s/} through the real
 * {@link ConfigLoader}, with the environment the manifests give them. A ledger kind this build does
 * not offer yet is loaded as {@code memory} so the rest of the file is still validated.
 */
final class ShippedConfigs {
    /** What the compose file and the manifests put in the environment. */
    static final Map<String, String> ENV = Map.of(
            "SPENDGUARD_ADMIN_TOKEN", "test-admin-token",
            "SPENDGUARD_TENANT_ID", "00000000-0000-0000-0000-000000000001",
            "SPENDGUARD_LEDGER_URL", "postgresql://spendguard:pw@postgres:5432/spendguard",
            "OPENAI_API_KEY", "sk-test-openai",
            "ANTHROPIC_API_KEY", "sk-ant-test");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private ShippedConfigs() { }

    static ProxyConfig load(String yaml, String source) {
        String kind = ledgerKind(yaml, source);
        String text = kind == null || available(kind) ? yaml : yaml.replaceFirst("\\bkind:\\s*" + kind + "\\b", "kind: memory");
        return ConfigLoader.parse(text, ENV::get, source);
    }

    static String ledgerKind(String yaml, String source) {
        try {
            JsonNode kind = YAML.readTree(yaml).path("ledger").path("kind");
            return kind.isMissingNode() ? null : kind.asText();
        } catch (IOException e) {
            throw new AssertionError(source + ": not YAML", e);
        }
    }

    /** True when this build accepts {@code ledger.kind: kind}. */
    static boolean available(String kind) {
        try {
            ConfigLoader.parse("ledger: { kind: " + kind + ", path: /tmp/probe.db, url: \"" + ENV.get("SPENDGUARD_LEDGER_URL") + "\" }",
                    ENV::get, "probe");
            return true;
        } catch (ConfigException e) {
            return false;
        }
    }
}
