package io.spendguard.proxy.config;

import io.spendguard.proxy.engine.BudgetSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * The whole configuration, immutable and validated once at start-up. Loaded by {@link ConfigLoader}
 * from {@code config/spendguard.yaml}; see the README's configuration reference.
 */
public record ProxyConfig(
        Endpoint listen,
        AdminConfig admin,
        GateConfig gate,
        LedgerConfig ledger,
        ProviderConfig openai,
        ProviderConfig anthropic,
        Path pricing,
        AuthConfig auth,
        List<BudgetConfig> budgets,
        EstimationConfig estimation,
        LimitsConfig limits) {

    public ProxyConfig {
        budgets = List.copyOf(budgets);
        long defaults = budgets.stream().filter(BudgetConfig::isDefault).count();
        if (defaults > 1) {
            throw new ConfigException("budgets: " + defaults + " budgets marked default (expected: at most 1)");
        }
        long distinct = budgets.stream().map(BudgetConfig::id).distinct().count();
        if (distinct != budgets.size()) {
            throw new ConfigException("budgets: duplicate id (expected: unique ids)");
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
        public boolean loopbackOnly() {
            String h = endpoint.host();
            return h.equals("127.0.0.1") || h.equals("localhost") || h.equals("::1");
        }
    }

    /** How the proxy reaches budget decisions; {@code sidecar} mode needs a socket and a tenant. */
    public record GateConfig(String mode, String failMode, long timeoutMs, SidecarConfig sidecar) {
        public GateConfig {
            if ("sidecar".equals(mode)) {
                if (sidecar.socket().isBlank()) {
                    throw new ConfigException("gate.sidecar.socket: missing (expected: the sidecar's Unix socket path when gate.mode is sidecar)");
                }
                if (sidecar.tenantId().isBlank()) {
                    throw new ConfigException("gate.sidecar.tenant_id: missing (expected: the tenant to assert when gate.mode is sidecar)");
                }
            }
        }

        public boolean failOpen() {
            return "open".equals(failMode);
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

    /** The ledger backend. */
    public record LedgerConfig(String kind, String path, String url) { }

    /** One upstream provider: base URL, optional key injected when the client sends none, timeouts. */
    public record ProviderConfig(String name, String baseUrl, String apiKey, long connectTimeoutMs, long timeoutMs) {
        @Override
        public String toString() {
            return "ProviderConfig[" + name + ", " + baseUrl + ", api_key=" + (apiKey == null || apiKey.isEmpty() ? "unset" : "set") + "]";
        }
    }

    /** Client authentication and header trust. */
    public record AuthConfig(String mode, boolean trustBudgetHeader) { }

    /** A budget defined in the file; the admin API can add more at run time. */
    public record BudgetConfig(String id, long limitMicros, String window, String timezone,
                               Long approvalAboveMicros, boolean isDefault, BudgetSpec.DegradeTo degradeTo) {

        /** The engine's definition of this budget. */
        public BudgetSpec toSpec() {
            return new BudgetSpec(id, limitMicros, window, timezone, approvalAboveMicros, isDefault, degradeTo);
        }
    }

    /** Estimation knobs. */
    public record EstimationConfig(int defaultMaxOutputTokens, boolean capOutputToReservation) { }

    /** Request limits. */
    public record LimitsConfig(long maxBodyBytes) { }
}
