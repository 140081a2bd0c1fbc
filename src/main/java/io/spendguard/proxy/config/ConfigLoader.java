package io.spendguard.proxy.config;

import io.spendguard.proxy.config.ProxyConfig.AdminConfig;
import io.spendguard.proxy.config.ProxyConfig.AuditConfig;
import io.spendguard.proxy.config.ProxyConfig.AuthConfig;
import io.spendguard.proxy.config.ProxyConfig.BudgetConfig;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.config.ProxyConfig.Endpoint;
import io.spendguard.proxy.config.ProxyConfig.EstimationConfig;
import io.spendguard.proxy.config.ProxyConfig.GateConfig;
import io.spendguard.proxy.config.ProxyConfig.KeyConfig;
import io.spendguard.proxy.config.ProxyConfig.LedgerConfig;
import io.spendguard.proxy.config.ProxyConfig.LimitsConfig;
import io.spendguard.proxy.config.ProxyConfig.ProviderConfig;
import io.spendguard.proxy.config.ProxyConfig.ShutdownConfig;
import io.spendguard.proxy.config.ProxyConfig.SidecarConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Reads {@code spendguard.yaml} into a validated {@link ProxyConfig}; every error names its key. */
public final class ConfigLoader {
    public static final long DEFAULT_MAX_BODY_BYTES = 16L * 1024 * 1024;
    /** All request bodies held at once: sixteen of the largest, or thousands of ordinary ones. */
    public static final long DEFAULT_MAX_BUFFERED_BODY_BYTES = 256L * 1024 * 1024;
    /** How long a SIGTERM'd proxy lets in-flight calls finish: under Kubernetes' default 30 s grace period. */
    public static final long DEFAULT_GRACE_MS = 25_000;

    private ConfigLoader() { }

    /** Loads a file from disk, or from the jar when {@code location} starts with {@code classpath:}. */
    public static ProxyConfig load(String location, Function<String, String> env) {
        return parse(read(location), env, location);
    }

    /** Reads a file from disk or, for {@code classpath:NAME}, from the jar. */
    public static String read(String location) {
        try {
            if (location.startsWith("classpath:")) {
                String name = location.substring("classpath:".length());
                try (InputStream in = ConfigLoader.class.getClassLoader().getResourceAsStream(name)) {
                    if (in == null) {
                        throw new ConfigException(location + ": not found");
                    }
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            return Files.readString(Path.of(location));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException(location + ": file not found", e);
        } catch (IOException e) {
            throw new ConfigException(location + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    public static ProxyConfig parse(String yaml, Function<String, String> env, String source) {
        ConfigNode root = ConfigNode.parse(yaml, env, source).only(
                "listen", "admin", "gate", "ledger", "providers", "pricing", "auth", "budgets", "estimation", "limits",
                "contracts", "approval_ttl", "shutdown", "audit", "runs");
        ConfigNode admin = root.child("admin").only("host", "port", "token");
        AdminConfig adminConfig = new AdminConfig(endpoint(admin, "127.0.0.1", 8081), admin.string("token", ""));
        ConfigNode providers = root.child("providers").only(Provider.OPENAI.label(), Provider.ANTHROPIC.label());
        LedgerConfig ledger = ledger(root.child("ledger"));
        return new ProxyConfig(
                endpoint(root.child("listen").only("host", "port"), "0.0.0.0", 8080),
                adminConfig,
                gate(root.child("gate")),
                ledger,
                audit(root.child("audit"), ledger),
                provider(providers, Provider.OPENAI, "https://api.openai.com"),
                provider(providers, Provider.ANTHROPIC, "https://api.anthropic.com"),
                Path.of(root.string("pricing", "config/pricing.yaml")),
                auth(root.child("auth")),
                budgets(root),
                estimation(root.child("estimation")),
                limits(root.child("limits")),
                root.has("contracts") ? Path.of(root.requiredString("contracts")) : null,
                root.duration("approval_ttl", Duration.ofHours(1)),
                new ShutdownConfig(root.child("shutdown").only("grace_ms").longAtLeast("grace_ms", DEFAULT_GRACE_MS, 0)),
                runs(root.child("runs"), true));
    }

    private static Endpoint endpoint(ConfigNode n, String host, int port) {
        return new Endpoint(n.string("host", host), n.intAtLeast("port", port, 0));
    }

    private static LimitsConfig limits(ConfigNode n) {
        n.only("max_body_bytes", "max_buffered_body_bytes", "idle_timeout_ms", "header_timeout_ms", "body_timeout_ms", "max_connections",
                "admin_max_connections");
        // The record checks the rest (> 0), naming the key.
        long maxBody = n.longAtLeast("max_body_bytes", DEFAULT_MAX_BODY_BYTES, 1024);
        return new LimitsConfig(maxBody, n.longAtLeast("max_buffered_body_bytes", Math.max(DEFAULT_MAX_BUFFERED_BODY_BYTES, maxBody),
                        Long.MIN_VALUE),
                n.longAtLeast("idle_timeout_ms", 60_000, Long.MIN_VALUE), n.longAtLeast("header_timeout_ms", 10_000, Long.MIN_VALUE),
                n.longAtLeast("body_timeout_ms", 30_000, Long.MIN_VALUE), n.intAtLeast("max_connections", 10_000, Integer.MIN_VALUE),
                n.intAtLeast("admin_max_connections", 256, Integer.MIN_VALUE));
    }

    private static GateConfig gate(ConfigNode n) {
        n.only("mode", "fail_mode", "timeout_ms", "sidecar");
        GateMode mode = n.choice("mode", GateMode.EMBEDDED);
        ConfigNode s = n.child("sidecar").only("socket", "tenant_id", "unit_id", "handshake_timeout_ms");
        SidecarConfig sidecar = new SidecarConfig(
                s.string("socket", "/var/run/spendguard/adapter.sock"),
                s.string("tenant_id", ""),
                s.string("unit_id", "usd_micros"),
                s.longAtLeast("handshake_timeout_ms", 30_000, 1));
        return new GateConfig(mode, n.choice("fail_mode", FailMode.CLOSED),
                n.longAtLeast("timeout_ms", 250, 1), sidecar);
    }

    private static LedgerConfig ledger(ConfigNode n) {
        n.only("kind", "path", "url", "pool_size", "reservation_ttl_ms", "sweep_interval_ms");
        LedgerKind kind = n.choice("kind", LedgerKind.SQLITE);
        String url = n.string("url", "");
        if (kind == LedgerKind.POSTGRES && url.isBlank()) {
            throw new ConfigException(n.path("url") + ": missing (expected: postgresql://user:password@host:5432/db when kind is postgres)");
        }
        return new LedgerConfig(kind, n.string("path", "data/spendguard.db"), url, n.intAtLeast("pool_size", 8, 1),
                n.longAtLeast("reservation_ttl_ms", 0, 0), n.longAtLeast("sweep_interval_ms", 5000, 10));
    }

    /**
     * The audit signing key: as configured (empty: not configured), else beside the SQLite file, else {@code data/} for
     * PostgreSQL; the memory ledger's chain is signed with a key of the process's own unless one is set.
     */
    private static AuditConfig audit(ConfigNode n, LedgerConfig ledger) {
        n.only("signing_key", "trusted_keys");
        String key = n.string("signing_key", "");
        Path signingKey = !key.isBlank() ? Path.of(key) : switch (ledger.kind()) {
            case SQLITE -> Path.of(ledger.path()).resolveSibling("audit-signing.key");
            case POSTGRES -> Path.of("data", "audit-signing.key");
            case MEMORY -> null;
        };
        return new AuditConfig(signingKey, n.strings("trusted_keys").stream().map(Path::of).toList());
    }

    private static ProviderConfig provider(ConfigNode providers, Provider provider, String defaultUrl) {
        ConfigNode n = providers.child(provider.label());
        n.only("base_url", "api_key", "connect_timeout_ms", "timeout_ms");
        Origin origin;
        try {
            origin = Origin.parse(n.string("base_url", defaultUrl));
        } catch (ConfigException e) {
            throw new ConfigException(n.path("") + e.getMessage());
        }
        return new ProviderConfig(provider, origin, n.string("api_key", ""),
                n.longAtLeast("connect_timeout_ms", 5_000, 1), n.longAtLeast("timeout_ms", 600_000, 1));
    }

    private static AuthConfig auth(ConfigNode n) {
        n.only("mode", "trust_budget_header", "keys", "forward_openai_org_headers");
        AuthMode mode = n.choice("mode", AuthMode.PASSTHROUGH);
        List<KeyConfig> keys = new ArrayList<>();
        Map<String, String> ids = new HashMap<>();
        Map<String, String> digests = new HashMap<>();
        for (ConfigNode k : n.list("keys")) {
            KeyConfig key = key(k);
            String sameId = ids.putIfAbsent(key.id(), k.path("id"));
            if (sameId != null) {
                throw new ConfigException(k.path("id") + ": " + key.id() + " (duplicate of " + sameId + "; expected: unique ids)");
            }
            String sameKey = digests.putIfAbsent(key.sha256(), k.path("key"));
            if (sameKey != null) {
                throw new ConfigException(k.path("key") + ": the same key as " + sameKey + " (expected: one entry per key)");
            }
            keys.add(key);
        }
        if (!keys.isEmpty() && mode != AuthMode.VIRTUAL_KEYS) {
            throw new ConfigException(n.path("keys") + ": set while auth.mode is " + mode.label() + " (expected: auth.mode: virtual_keys)");
        }
        return new AuthConfig(mode, n.bool("trust_budget_header", false), keys, n.bool("forward_openai_org_headers", false));
    }

    /** One {@code auth.keys} entry; the key itself is hashed here and dropped, and never echoed in an error. */
    private static KeyConfig key(ConfigNode k) {
        k.only("id", "name", "key_sha256", "key", "tenant", "budget_id", "allow_budget_header");
        String id = k.requiredString("id");
        if (!KeyConfig.validId(id)) {
            throw new ConfigException(k.path("id") + ": " + Ids.shown(id) + " (expected: " + Ids.EXPECTED + ")");
        }
        if (k.has("key") == k.has("key_sha256")) {
            throw new ConfigException(k.path("key_sha256") + ": " + (k.has("key") ? "set together with key" : "missing")
                    + " (expected: either key_sha256, the hex SHA-256 of the key, or key)");
        }
        String sha256;
        String prefix = null;
        if (k.has("key")) {
            String key = k.string("key", "");
            if (!key.startsWith(KeyConfig.KEY_PREFIX) || key.length() < KeyConfig.KEY_PREFIX.length() + 16) {
                throw new ConfigException(k.path("key") + ": not a virtual key (expected: " + KeyConfig.KEY_PREFIX
                        + " followed by at least 16 characters; the value is not shown)");
            }
            sha256 = KeyConfig.sha256(key);
            prefix = KeyConfig.prefix(key);
        } else {
            sha256 = k.string("key_sha256", "").trim().toLowerCase(java.util.Locale.ROOT);
            if (!sha256.matches("[0-9a-f]{64}")) {
                throw new ConfigException(k.path("key_sha256") + ": not 64 hex digits (expected: the hex SHA-256 of the key, "
                        + "e.g. printf %s \"$KEY\" | sha256sum)");
            }
        }
        return new KeyConfig(id, k.string("name", null), k.string("tenant", "default"), k.requiredString("budget_id"),
                k.bool("allow_budget_header", false), sha256, prefix);
    }

    private static List<BudgetConfig> budgets(ConfigNode root) {
        List<BudgetConfig> out = new ArrayList<>();
        for (ConfigNode b : root.list("budgets")) {
            b.only("id", "limit_usd", "window", "timezone", "approval_above_usd", "default", "degrade_to", "tenant", "runs", "parent");
            Long limit = b.usdMicros("limit_usd");
            if (limit == null) {
                throw new ConfigException(b.path("limit_usd") + ": missing (expected: a USD amount >= 0)");
            }
            String tz = b.string("timezone", "UTC");
            try {
                java.time.ZoneId.of(tz);
            } catch (java.time.DateTimeException e) {
                throw new ConfigException(b.path("timezone") + ": " + tz + " (expected: an IANA time zone such as UTC or Europe/Paris)");
            }
            String id = b.requiredString("id");
            if (!Ids.valid(id)) {
                throw new ConfigException(b.path("id") + ": " + Ids.shown(id) + " (expected: " + Ids.EXPECTED + ")");
            }
            out.add(new BudgetConfig(id, limit,
                    b.choice("window", "none", "none", "daily", "weekly", "monthly"), tz,
                    b.usdMicros("approval_above_usd"), b.bool("default", false), degradeTo(b), tenant(b),
                    b.has("runs") ? runs(b.child("runs"), false) : null, parent(b)));
        }
        if (out.size() == 1 && !out.get(0).isDefault()) {
            BudgetConfig only = out.get(0);
            out.set(0, only.withDefault(true));
        }
        return out;
    }

    /** A budget's {@code parent}: null for a root; the id of another budget of the file (checked once all are read). */
    private static String parent(ConfigNode b) {
        if (!b.has("parent")) {
            return null;
        }
        String parent = b.requiredString("parent");
        if (!Ids.valid(parent)) {
            throw new ConfigException(b.path("parent") + ": " + Ids.shown(parent) + " (expected: " + Ids.EXPECTED + ")");
        }
        return parent;
    }

    /**
     * {@code runs:} (global) or a budget's {@code runs:} (its limits only: {@code dedupe_retries} and
     * {@code idle_ttl} are global). Every value is checked here, naming its key.
     */
    private static RunsConfig runs(ConfigNode n, boolean global) {
        if (global) {
            n.only("max_steps", "max_usd", "max_repeated_tool_calls", "dedupe_retries", "idle_ttl");
        } else {
            n.only("max_steps", "max_usd", "max_repeated_tool_calls");
        }
        long steps = n.longAtLeast("max_steps", 0, 0);
        Long usd = n.usdMicros("max_usd");
        int repeated = n.intAtLeast("max_repeated_tool_calls", 0, 0);
        return new RunsConfig(steps, usd == null ? 0 : usd, repeated, n.bool("dedupe_retries", true),
                n.duration("idle_ttl", RunsConfig.DEFAULTS.idleTtl()));
    }

    /** A budget's {@code tenant}: null when left out (a budget every key may be given). */
    private static String tenant(ConfigNode budget) {
        String tenant = budget.string("tenant", null);
        if (tenant != null && (tenant.isBlank() || tenant.length() > 128)) {
            throw new ConfigException(budget.path("tenant") + ": expected 1..128 characters (or leave it out: a budget of no tenant)");
        }
        return tenant;
    }

    private static BudgetSpec.DegradeTo degradeTo(ConfigNode budget) {
        if (!budget.has("degrade_to")) {
            return null;
        }
        ConfigNode d = budget.child("degrade_to").only("model", "below_remaining_usd");
        Long below = d.usdMicros("below_remaining_usd");
        if (below == null) {
            throw new ConfigException(d.path("below_remaining_usd") + ": missing (expected: a USD amount >= 0)");
        }
        return new BudgetSpec.DegradeTo(d.requiredString("model"), below);
    }

    private static EstimationConfig estimation(ConfigNode n) {
        n.only("default_max_output_tokens", "cap_output_to_reservation", "hidden_costs");
        return new EstimationConfig(n.intAtLeast("default_max_output_tokens", 4096, 1),
                n.bool("cap_output_to_reservation", false), hiddenCosts(n.child("hidden_costs")));
    }

    private static ProxyConfig.HiddenCosts hiddenCosts(ConfigNode n) {
        n.only("previous_response_tokens", "stored_prompt_tokens", "file_input_tokens", "hosted_tool_tokens", "hosted_tool_usd");
        ProxyConfig.HiddenCosts d = ProxyConfig.HiddenCosts.DEFAULTS;
        Long usd = n.usdMicros("hosted_tool_usd");
        return new ProxyConfig.HiddenCosts(n.longAtLeast("previous_response_tokens", d.previousResponseTokens(), 0),
                n.longAtLeast("stored_prompt_tokens", d.storedPromptTokens(), 0), n.longAtLeast("file_input_tokens", d.fileInputTokens(), 0),
                n.longAtLeast("hosted_tool_tokens", d.hostedToolTokens(), 0), usd == null ? d.hostedToolMicros() : usd);
    }
}
