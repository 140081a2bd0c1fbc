package io.spendguard.proxy.config;

import io.spendguard.proxy.engine.BudgetSpec;
import java.nio.charset.StandardCharsets;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The whole configuration, immutable and validated once at start-up. Loaded by {@link ConfigLoader}
 * from {@code config/spendguard.yaml}; see the README's configuration reference. {@code contracts}
 * is the rules file (null: none), loaded and watched by {@link ContractsWatcher}; {@code approvalTtl}
 * how long an approval is good for.
 */
public record ProxyConfig(
        Endpoint listen,
        AdminConfig admin,
        GateConfig gate,
        LedgerConfig ledger,
        AuditConfig audit,
        ProviderConfig openai,
        ProviderConfig anthropic,
        Path pricing,
        AuthConfig auth,
        List<BudgetConfig> budgets,
        EstimationConfig estimation,
        LimitsConfig limits,
        Path contracts,
        Duration approvalTtl,
        ShutdownConfig shutdown,
        RunsConfig runs) {

    public ProxyConfig {
        runs = runs == null ? RunsConfig.DEFAULTS : runs;
        if (approvalTtl == null || approvalTtl.isNegative() || approvalTtl.isZero()) {
            throw new ConfigException("approval_ttl: " + approvalTtl + " (expected: > 0)");
        }
        budgets = List.copyOf(budgets);
        long defaults = budgets.stream().filter(BudgetConfig::isDefault).count();
        if (defaults > 1) {
            throw new ConfigException("budgets: " + defaults + " budgets marked default (expected: at most 1)");
        }
        long distinct = budgets.stream().map(BudgetConfig::id).distinct().count();
        if (distinct != budgets.size()) {
            throw new ConfigException("budgets: duplicate id (expected: unique ids)");
        }
        checkTrees(budgets);
        checkKeys(auth, gate, budgets, openai, anthropic);
    }

    /** The run limits for calls charged to {@code budgetId}: the global ones narrowed by the budget's own. */
    public RunsConfig runsFor(String budgetId) {
        for (BudgetConfig b : budgets) {
            if (b.id().equals(budgetId)) {
                return runs.narrowedBy(b.runs());
            }
        }
        return runs;
    }

    /** The configuration of {@code provider}'s upstream. */
    public ProviderConfig provider(Provider provider) {
        return provider == Provider.ANTHROPIC ? anthropic : openai;
    }

    /**
     * Virtual keys need a provider key to inject, and (when this proxy owns the budgets) a key's
     * budget must be one of the file's: the memory ledger forgets run-time budgets on restart.
     */
    private static void checkKeys(AuthConfig auth, GateConfig gate, List<BudgetConfig> budgets,
                                  ProviderConfig openai, ProviderConfig anthropic) {
        if (!auth.virtualKeys()) {
            return;
        }
        if (!openai.hasApiKey() && !anthropic.hasApiKey()) {
            throw new ConfigException("auth.mode: virtual_keys needs a provider key to inject "
                    + "(expected: providers.openai.api_key or providers.anthropic.api_key set)");
        }
        if (gate.mode() == GateMode.SIDECAR) {
            return;
        }
        List<String> ids = budgets.stream().map(BudgetConfig::id).toList();
        for (int i = 0; i < auth.keys().size(); i++) {
            KeyConfig key = auth.keys().get(i);
            String budget = key.budgetId();
            if (!ids.contains(budget)) {
                throw new ConfigException("auth.keys[" + i + "].budget_id: " + budget
                        + " (expected one of the configured budgets: " + String.join(", ", ids) + ")");
            }
            BudgetConfig b = budgets.get(ids.indexOf(budget));
            if (b.tenant() != null && !b.tenant().equals(key.tenant())) {
                throw new ConfigException("auth.keys[" + i + "].budget_id: " + budget + " belongs to tenant " + b.tenant()
                        + " (expected: a budget of the key's tenant " + key.tenant() + ", or of no tenant)");
            }
        }
    }

    /** A host and port to listen on. */
    public record Endpoint(String host, int port) {
        public Endpoint {
            if (port < 0 || port > 65535) {
                throw new ConfigException("port: " + port + " (expected: 0..65535)");
            }
        }
    }

    /** The admin listener and its bearer token (required unless bound to loopback). */
    public record AdminConfig(Endpoint endpoint, String token) {
        public AdminConfig {
            if (!loopback(endpoint.host()) && (token == null || token.isBlank())) {
                throw new ConfigException("admin.token: missing while admin.host is " + endpoint.host()
                        + " (expected: a token, e.g. ${SPENDGUARD_ADMIN_TOKEN}, whenever the admin API listens beyond loopback)");
            }
        }

        /**
         * True for {@code localhost} and loopback IP literals ({@code 127.0.0.0/8}, {@code ::1}); any
         * other name counts as reachable from elsewhere (names are not resolved here).
         */
        static boolean loopback(String host) {
            String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
            if (h.equalsIgnoreCase("localhost")) {
                return true;
            }
            if (!h.matches("[0-9.]+") && !h.matches("[0-9A-Fa-f:.]+")) {
                return false;
            }
            try {
                return InetAddress.getByName(h).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }

        @Override
        public String toString() {
            return "AdminConfig[" + endpoint + ", token=" + (token == null || token.isEmpty() ? "unset" : "set") + "]";
        }
    }

    /** How the proxy reaches budget decisions; {@code sidecar} mode needs a socket and a tenant. */
    public record GateConfig(GateMode mode, FailMode failMode, long timeoutMs, SidecarConfig sidecar) {
        public GateConfig {
            if (mode == GateMode.SIDECAR) {
                if (sidecar.socket().isBlank()) {
                    throw new ConfigException("gate.sidecar.socket: missing (expected: the sidecar's Unix socket path when gate.mode is sidecar)");
                }
                if (sidecar.tenantId().isBlank()) {
                    throw new ConfigException("gate.sidecar.tenant_id: missing (expected: the tenant to assert when gate.mode is sidecar)");
                }
            }
        }

        public boolean failOpen() {
            return failMode == FailMode.OPEN;
        }
    }

    /**
     * Where the SpendGuard sidecar listens, what to assert to it, the unit claims are made in, and how
     * long start-up waits for the first handshake.
     */
    public record SidecarConfig(String socket, String tenantId, String unitId, long handshakeTimeoutMs) {
        public SidecarConfig {
            if (unitId.isBlank()) {
                throw new ConfigException("gate.sidecar.unit_id: empty (expected: a unit id such as usd_micros)");
            }
        }
    }

    /**
     * The ledger backend ({@code memory | sqlite | postgres}): the SQLite file, the PostgreSQL URL
     * and pool size, how long an unsettled hold lives (0: the longest provider timeout plus five
     * minutes) and how often expired holds are swept.
     */
    public record LedgerConfig(LedgerKind kind, String path, String url, int poolSize, long reservationTtlMs, long sweepIntervalMs) {
        @Override
        public String toString() {
            String where = switch (kind) {
                case SQLITE -> ", " + path;
                case POSTGRES -> ", " + url.replaceFirst("(://[^:/@]*):[^@]*@", "$1:***@");
                case MEMORY -> "";
            };
            return "LedgerConfig[" + kind.label() + where + "]";
        }
    }

    /**
     * The audit chain's signing key file ({@code audit.signing_key}; null: a key of this process's own,
     * for the memory ledger) and the public keys of earlier signing keys a verifier still trusts
     * ({@code audit.trusted_keys}).
     */
    public record AuditConfig(Path signingKey, List<Path> trustedKeys) {
        public AuditConfig {
            trustedKeys = List.copyOf(trustedKeys);
        }
    }

    /**
     * One upstream provider: where it is ({@link Origin}, parsed once), its key (in passthrough mode
     * injected when the client sends none; with virtual keys always injected), timeouts.
     */
    public record ProviderConfig(Provider provider, Origin origin, String apiKey, long connectTimeoutMs, long timeoutMs) {
        /** The provider's label, as in {@code providers.NAME}. */
        public String name() {
            return provider.label();
        }

        /** The base URL, for display: requests are built from {@link #origin()}'s parts. */
        public String baseUrl() {
            return origin.toString();
        }

        public boolean hasApiKey() {
            return apiKey != null && !apiKey.isEmpty();
        }

        @Override
        public String toString() {
            return "ProviderConfig[" + provider.label() + ", " + origin + ", api_key=" + (apiKey == null || apiKey.isEmpty() ? "unset" : "set") + "]";
        }
    }

    /**
     * Client authentication and header trust: {@code passthrough} forwards the client's provider key;
     * {@code virtual_keys} accepts only SpendGuard keys ({@code keys} plus those made on the admin API).
     * With virtual keys the client's {@code OpenAI-Organization} / {@code OpenAI-Project} headers are
     * dropped (they would pick where the operator's key is billed) unless
     * {@code forwardOpenaiOrgHeaders} ({@code auth.forward_openai_org_headers}).
     */
    public record AuthConfig(AuthMode mode, boolean trustBudgetHeader, List<KeyConfig> keys, boolean forwardOpenaiOrgHeaders) {
        public AuthConfig {
            keys = List.copyOf(keys);
        }

        /** Client organisation and project headers dropped with virtual keys. */
        public AuthConfig(AuthMode mode, boolean trustBudgetHeader, List<KeyConfig> keys) {
            this(mode, trustBudgetHeader, keys, false);
        }

        public boolean virtualKeys() {
            return mode == AuthMode.VIRTUAL_KEYS;
        }
    }

    /**
     * The definition of one virtual key, from the file or the admin API: only the SHA-256 of the key
     * (and a short display prefix when known) is kept, never the key itself.
     */
    public record KeyConfig(String id, String name, String tenant, String budgetId, boolean allowBudgetHeader,
                            String sha256, String prefix) {
        /** What every virtual key starts with. */
        public static final String KEY_PREFIX = "sg-";

        /** Key ids appear in URLs: see {@link Ids}. */
        public static boolean validId(String id) {
            return Ids.valid(id);
        }

        /** The lowercase hex SHA-256 of a key's UTF-8 bytes: how keys are stored and looked up. */
        public static String sha256(String key) {
            return Sha256.hex(key);
        }

        /** Enough of a key to recognise it in a listing ({@code sg-ab12…}), never enough to use it. */
        public static String prefix(String key) {
            return key.substring(0, Math.min(key.length(), KEY_PREFIX.length() + 4)) + "…";
        }

        @Override
        public String toString() {
            return "KeyConfig[" + id + ", tenant=" + tenant + ", budget=" + budgetId + "]";
        }
    }

    /** A budget defined in the file ({@code tenant} null: of no tenant); the admin API can add more at run time. */
    /** A budget from the file; {@code runs} (null: none) narrows the global run limits for its calls. */
    public record BudgetConfig(String id, long limitMicros, String window, String timezone,
                               Long approvalAboveMicros, boolean isDefault, BudgetSpec.DegradeTo degradeTo, String tenant,
                               RunsConfig runs, String parent) {

        /** A budget of no parent. */
        public BudgetConfig(String id, long limitMicros, String window, String timezone, Long approvalAboveMicros, boolean isDefault,
                            BudgetSpec.DegradeTo degradeTo, String tenant, RunsConfig runs) {
            this(id, limitMicros, window, timezone, approvalAboveMicros, isDefault, degradeTo, tenant, runs, null);
        }

        /** A budget of no tenant. */
        public BudgetConfig(String id, long limitMicros, String window, String timezone, Long approvalAboveMicros, boolean isDefault,
                            BudgetSpec.DegradeTo degradeTo) {
            this(id, limitMicros, window, timezone, approvalAboveMicros, isDefault, degradeTo, null, null);
        }

        /** A budget without run limits of its own. */
        public BudgetConfig(String id, long limitMicros, String window, String timezone, Long approvalAboveMicros, boolean isDefault,
                            BudgetSpec.DegradeTo degradeTo, String tenant) {
            this(id, limitMicros, window, timezone, approvalAboveMicros, isDefault, degradeTo, tenant, null);
        }

        /** The engine's definition of this budget. */
        public BudgetSpec toSpec() {
            return new BudgetSpec(id, limitMicros, window, timezone, approvalAboveMicros, isDefault, degradeTo, tenant, parent);
        }

        /** The same budget, the default or not. */
        BudgetConfig withDefault(boolean makeDefault) {
            return new BudgetConfig(id, limitMicros, window, timezone, approvalAboveMicros, makeDefault, degradeTo, tenant, runs, parent);
        }
    }

    /**
     * {@code budgets} with every parent before its children (otherwise in file order): the order to
     * write them to a ledger, which refuses a budget whose parent it does not know yet.
     */
    public static List<BudgetConfig> parentsFirst(List<BudgetConfig> budgets) {
        java.util.LinkedHashMap<String, BudgetConfig> left = new java.util.LinkedHashMap<>();
        budgets.forEach(b -> left.put(b.id(), b));
        List<BudgetConfig> out = new java.util.ArrayList<>();
        java.util.Set<String> placed = new java.util.HashSet<>();
        while (!left.isEmpty()) {
            int before = out.size();
            for (java.util.Iterator<BudgetConfig> it = left.values().iterator(); it.hasNext(); ) {
                BudgetConfig b = it.next();
                if (b.parent() == null || placed.contains(b.parent()) || !left.containsKey(b.parent())) {
                    out.add(b);
                    placed.add(b.id());
                    it.remove();
                }
            }
            if (out.size() == before) {
                out.addAll(left.values());
                break;
            }
        }
        return out;
    }

    /**
     * Each budget's {@code parent} must be another of {@code budgets}, the parents must form no cycle,
     * and no tree may be deeper than {@link BudgetSpec#MAX_DEPTH} levels; a refusal names the budget
     * ({@code budgets[i].parent}).
     */
    static void checkTrees(List<BudgetConfig> budgets) {
        java.util.Map<String, String> parents = new java.util.HashMap<>();
        budgets.forEach(b -> parents.put(b.id(), b.parent()));
        for (int i = 0; i < budgets.size(); i++) {
            BudgetConfig b = budgets.get(i);
            if (b.parent() == null) {
                continue;
            }
            String where = "budgets[" + i + "].parent: " + b.parent();
            if (!parents.containsKey(b.parent()) || b.parent().equals(b.id())) {
                throw new ConfigException(where + " (expected: the id of another budget in budgets)");
            }
            int levels = 1;
            for (String at = b.parent(); at != null; at = parents.get(at)) {
                if (at.equals(b.id())) {
                    throw new ConfigException(where + " makes a cycle: " + b.id() + " is its own ancestor (expected: a tree)");
                }
                if (++levels > BudgetSpec.MAX_DEPTH) {
                    throw new ConfigException(where + " puts " + b.id() + " more than " + BudgetSpec.MAX_DEPTH
                            + " levels deep (expected: a tree of at most " + BudgetSpec.MAX_DEPTH + " levels)");
                }
            }
        }
    }

    /** Estimation knobs; {@code hiddenCosts} is what is reserved for costs a request body does not show. */
    public record EstimationConfig(int defaultMaxOutputTokens, boolean capOutputToReservation, HiddenCosts hiddenCosts) {
        public EstimationConfig {
            hiddenCosts = hiddenCosts == null ? HiddenCosts.DEFAULTS : hiddenCosts;
        }

        /** With the default hidden-cost reserves. */
        public EstimationConfig(int defaultMaxOutputTokens, boolean capOutputToReservation) {
            this(defaultMaxOutputTokens, capOutputToReservation, HiddenCosts.DEFAULTS);
        }
    }

    /**
     * {@code estimation.hidden_costs}: input tokens reserved for a stored conversation
     * ({@code previous_response_id} / {@code conversation}), a stored prompt ({@code prompt.id}) and
     * each file referenced by id or URL; input tokens and µUSD (configured in USD) per hosted tool
     * the request enables (web or file search, code interpreter, Anthropic server tools). Usage above
     * the claim is still committed in full and counted as an overrun.
     */
    public record HiddenCosts(long previousResponseTokens, long storedPromptTokens, long fileInputTokens,
                              long hostedToolTokens, long hostedToolMicros) {
        public static final HiddenCosts DEFAULTS = new HiddenCosts(32_000, 4_000, 50_000, 8_000, 50_000);

        public HiddenCosts {
            nonNegative("previous_response_tokens", previousResponseTokens);
            nonNegative("stored_prompt_tokens", storedPromptTokens);
            nonNegative("file_input_tokens", fileInputTokens);
            nonNegative("hosted_tool_tokens", hostedToolTokens);
            nonNegative("hosted_tool_usd", hostedToolMicros);
        }

        private static void nonNegative(String key, long value) {
            if (value < 0) {
                throw new ConfigException("estimation.hidden_costs." + key + ": " + value + " (expected: >= 0)");
            }
        }
    }

    /**
     * Request and connection limits, on the data port and (timeouts, its own cap) the admin port.
     *
     * @param maxBodyBytes         the largest request body read, else 413
     * @param idleTimeoutMs        a kept-alive connection with no request in flight is closed after this long without a new
     *                             request; never counted while a call is in flight, so a long call or stream is not cut
     * @param headerTimeoutMs      a new connection must deliver a whole request head within this long
     * @param bodyTimeoutMs        a request body must be received within this long after the end of its head
     * @param maxConnections       open connections on the data port; more are closed at once and counted
     * @param adminMaxConnections  open connections on the admin port
     */
    public record LimitsConfig(long maxBodyBytes, long maxBufferedBodyBytes, long idleTimeoutMs, long headerTimeoutMs,
                               long bodyTimeoutMs, int maxConnections, int adminMaxConnections) {
        public LimitsConfig {
            positive("limits.max_body_bytes", maxBodyBytes);
            if (maxBufferedBodyBytes < maxBodyBytes) {
                throw new ConfigException("limits.max_buffered_body_bytes: " + maxBufferedBodyBytes
                        + " (expected: >= limits.max_body_bytes, " + maxBodyBytes + ")");
            }
            positive("limits.idle_timeout_ms", idleTimeoutMs);
            positive("limits.header_timeout_ms", headerTimeoutMs);
            positive("limits.body_timeout_ms", bodyTimeoutMs);
            positive("limits.max_connections", maxConnections);
            positive("limits.admin_max_connections", adminMaxConnections);
        }

        private static void positive(String name, long value) {
            if (value <= 0) {
                throw new ConfigException(name + ": " + value + " (expected: > 0)");
            }
        }
    }

    /**
     * Graceful drain on SIGTERM: how long in-flight calls and streams get to finish and settle before
     * the process exits anyway ({@code shutdown.grace_ms}).
     */
    public record ShutdownConfig(long graceMs) { }
}
