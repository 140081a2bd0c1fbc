package io.spendguard.proxy.ops;

import io.spendguard.proxy.config.ConfigException;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.ConfigNode;
import io.spendguard.proxy.config.ProxyConfig;
import java.util.HashMap;
import java.util.Map;

/**
 * Loads the configuration files shipped in {@code deploy/} and {@code k8s/} through the real
 * {@link ConfigLoader}, with the environment the manifests give them. A ledger kind this build does
 * not offer yet is loaded as {@code memory} so the rest of the file is still validated.
 */
final class ShippedConfigs {
    /** Stand-ins for what secrets put in the environment. */
    static final Map<String, String> SECRETS = Map.of(
            "SPENDGUARD_ADMIN_TOKEN", "test-admin-token",
            "SPENDGUARD_TENANT_ID", "00000000-0000-0000-0000-000000000001",
            "SPENDGUARD_LEDGER_URL", "postgresql://spendguard:pw@postgres:5432/spendguard",
            "OPENAI_API_KEY", "sk-test-openai",
            "ANTHROPIC_API_KEY", "sk-ant-test");

    private ShippedConfigs() { }

    static ProxyConfig load(String yaml, String source) {
        return load(yaml, Map.of(), source);
    }

    /** Loads {@code yaml} with {@code env} (over {@link #SECRETS}) as the environment. */
    static ProxyConfig load(String yaml, Map<String, String> env, String source) {
        Map<String, String> all = new HashMap<>(SECRETS);
        all.putAll(env);
        String kind = ledgerKind(yaml, all, source);
        if (available(kind)) {
            return ConfigLoader.parse(yaml, all::get, source);
        }
        all.put("SPENDGUARD_LEDGER_KIND", "memory");
        return ConfigLoader.parse(yaml.replaceFirst("\\bkind:\\s*" + kind + "\\b", "kind: memory"), all::get, source);
    }

    /** {@code ledger.kind} as the file says it in that environment. */
    static String ledgerKind(String yaml, Map<String, String> env, String source) {
        return ConfigNode.parse(yaml, env::get, source).child("ledger").string("kind", "memory");
    }

    /** True when this build accepts {@code ledger.kind: kind}. */
    static boolean available(String kind) {
        try {
            ConfigLoader.parse("ledger: { kind: " + kind + ", path: /tmp/probe.db, url: \"" + SECRETS.get("SPENDGUARD_LEDGER_URL") + "\" }",
                    SECRETS::get, "probe");
            return true;
        } catch (ConfigException e) {
            return false;
        }
    }
}
