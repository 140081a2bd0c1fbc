package io.spendguard.proxy.auth;

import io.spendguard.proxy.config.Provider;
import io.spendguard.proxy.config.ProxyConfig.AuthConfig;
import io.spendguard.proxy.config.ProxyConfig.KeyConfig;
import io.spendguard.proxy.config.ProxyConfig.ProviderConfig;
import io.spendguard.proxy.error.ProxyError;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.logging.Logger;

/**
 * Who a call is made for, and what credential goes to the provider.
 * <ul>
 * <li>{@code passthrough}: the client's provider key is forwarded; the configured key fills in when
 * the client sends none.</li>
 * <li>{@code virtual_keys}: the client sends a SpendGuard key ({@code Authorization: Bearer sg-…},
 * or {@code x-api-key: sg-…} on Anthropic routes). It is looked up by its SHA-256, its budget is
 * charged, and it is replaced by the configured provider key, so clients never hold a provider key
 * and cannot bypass the proxy's accounting with one.</li>
 * </ul>
 * No message or log line here ever contains a key.
 */
public final class Credentials {
    private static final Logger LOG = Logger.getLogger(Credentials.class.getName());
    private static final String AUTHORIZATION = "authorization";
    private static final String X_API_KEY = "x-api-key";
    /** Client headers that choose where OpenAI bills a call: not the client's to choose for the operator's key. */
    private static final List<String> OPENAI_BILLING = List.of("openai-organization", "openai-project");
    /** The caller of a passthrough call that sent no credential of its own. */
    public static final String OPERATOR = "operator";
    static final int MAX_KEY_CHARS = 4096;

    private final AuthConfig auth;
    private final ProviderConfig openai;
    private final ProviderConfig anthropic;
    private final VirtualKeys keys;

    public Credentials(AuthConfig auth, ProviderConfig openai, ProviderConfig anthropic, VirtualKeys keys) {
        this.auth = auth;
        this.openai = openai;
        this.anthropic = anthropic;
        this.keys = keys;
        for (ProviderConfig p : List.of(openai, anthropic)) {
            if (auth.virtualKeys() && !p.hasApiKey()) {
                LOG.warning("auth.mode is virtual_keys but providers." + p.name() + ".api_key is not set: calls to "
                        + p.name() + " routes will be refused");
            }
        }
    }

    /**
     * Checks the caller's credential for a call to {@code provider}: the virtual key it sent, or null
     * in passthrough mode. Refuses with 401 for a missing, unknown or revoked key.
     */
    public VirtualKey authenticate(MultiMap headers, Provider provider) {
        ProviderConfig p = provider(provider);
        boolean anthropicShape = isAnthropic(provider);
        if (!auth.virtualKeys()) {
            String sent = headers.get(anthropicShape ? X_API_KEY : AUTHORIZATION);
            if (sent == null && !p.hasApiKey()) {
                throw ProxyError.UNAUTHENTICATED.exception("No API key: send your provider key in the "
                        + (anthropicShape ? "x-api-key header." : "Authorization header (Bearer)."));
            }
            if (sent != null && !wellFormed(anthropicShape ? sent.trim() : bearerToken(sent))) {
                throw ProxyError.UNAUTHENTICATED.exception("Malformed API key: send your provider key in the "
                        + (anthropicShape ? "x-api-key header." : "Authorization header as Bearer <key>."));
            }
            return null;
        }
        String presented = presented(headers, anthropicShape);
        if (presented == null) {
            throw ProxyError.UNAUTHENTICATED.exception("No API key: send your SpendGuard key (sg-…) in the "
                    + (anthropicShape ? "x-api-key header." : "Authorization header (Bearer)."));
        }
        VirtualKey key = presented.startsWith(KeyConfig.KEY_PREFIX) ? keys.find(KeyConfig.sha256(presented)) : null;
        if (key == null) {
            throw ProxyError.UNAUTHENTICATED.exception(
                    "Invalid API key: this proxy accepts SpendGuard keys (sg-…) only, and this one is unknown or revoked.");
        }
        if (!p.hasApiKey()) {
            throw ProxyError.INTERNAL.exception("This proxy cannot call " + p.name() + ": providers." + p.name()
                    + ".api_key is not configured.");
        }
        return key;
    }

    /**
     * Who is calling, as far as replays and approvals are concerned: {@code key:<id>} for a virtual
     * key; in passthrough mode {@code cred:} and a digest of the provider credential the client sent
     * ({@code Authorization} and {@code x-api-key}; never the credential itself); {@value #OPERATOR}
     * when it sent none (the configured key is used, so every such caller is the operator). An
     * idempotent replay or an approval never crosses from one caller to another.
     */
    public static String caller(MultiMap headers, VirtualKey key) {
        if (key != null) {
            return "key:" + key.id();
        }
        String authorization = headers.get(AUTHORIZATION);
        String apiKey = headers.get(X_API_KEY);
        if (authorization == null && apiKey == null) {
            return OPERATOR;
        }
        String both = "spendguard:caller\0" + (authorization == null ? "" : authorization) + "\0" + (apiKey == null ? "" : apiKey);
        return "cred:" + KeyConfig.sha256(both).substring(0, 32);
    }

    /**
     * The budget to charge, or null for the default budget. {@code X-SpendGuard-Budget-Id} is honoured
     * only with {@code auth.trust_budget_header} or a key allowed to choose; otherwise a virtual key's
     * own budget applies.
     */
    public String budgetId(VirtualKey key, String header) {
        if (header == null) {
            return key == null ? null : key.budgetId();
        }
        if (auth.trustBudgetHeader() || (key != null && key.allowBudgetHeader())) {
            return header;
        }
        throw ProxyError.BUDGET_HEADER_NOT_TRUSTED.exception(key == null
                ? "X-SpendGuard-Budget-Id is not accepted here (auth.trust_budget_header is false)."
                : "X-SpendGuard-Budget-Id is not accepted for this key: its own budget applies.");
    }

    /**
     * Sets the provider credential on the headers going upstream. With a virtual key every client
     * credential is removed and the configured provider key put in its place, and so are the client's
     * {@code OpenAI-Organization} / {@code OpenAI-Project} (which would move the operator's billing
     * within its account) unless {@code auth.forward_openai_org_headers} is set.
     */
    public void authorize(MultiMap upstream, Provider provider, VirtualKey key) {
        ProviderConfig p = provider(provider);
        String header = isAnthropic(provider) ? X_API_KEY : AUTHORIZATION;
        if (key != null) {
            upstream.remove(AUTHORIZATION).remove(X_API_KEY);
            if (!auth.forwardOpenaiOrgHeaders()) {
                OPENAI_BILLING.forEach(upstream::remove);
            }
        } else if (upstream.get(header) != null) {
            return;
        }
        upstream.set(header, isAnthropic(provider) ? p.apiKey() : "Bearer " + p.apiKey());
    }

    /**
     * A credential the proxy can pass on: the token68 characters of RFC 9110 §11.2 (provider keys and
     * JWTs), at most {@link #MAX_KEY_CHARS}, then up to two {@code =}. Checked in passthrough mode, where the provider alone can
     * say whether it is good: a request without even this is refused before its body is read.
     */
    static boolean wellFormed(String token) {
        if (token == null) {
            return false;
        }
        int end = token.length();
        for (int pad = 0; pad < 2 && end > 0 && token.charAt(end - 1) == '='; pad++) {
            end--;
        }
        if (end == 0 || end > MAX_KEY_CHARS) {
            return false;
        }
        for (int i = 0; i < end; i++) {
            char c = token.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** The token of {@code Bearer <token>}, or null. */
    private static String bearerToken(String authorization) {
        return authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? authorization.substring(7).trim() : null;
    }

    /** The key the client sent: a Bearer token, or on Anthropic routes {@code x-api-key} first. */
    private static String presented(MultiMap headers, boolean anthropicShape) {
        String apiKey = anthropicShape ? headers.get(X_API_KEY) : null;
        if (apiKey != null && !apiKey.isBlank()) {
            return apiKey.trim();
        }
        String authorization = headers.get(AUTHORIZATION);
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    private ProviderConfig provider(Provider provider) {
        return isAnthropic(provider) ? anthropic : openai;
    }

    private static boolean isAnthropic(Provider provider) {
        return provider == Provider.ANTHROPIC;
    }
}
