package io.spendguard.proxy;

import io.spendguard.proxy.config.ProxyConfig.KeyConfig;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A proxy config with {@code auth.mode: virtual_keys} and the calls a virtual-key client and its
 * operator make: model calls with an {@code sg-} key, and the key routes of the proxy's own admin
 * port (which in sidecar mode is not where budgets live).
 */
final class VirtualKeyClient {
    /** The OpenAI key configured on the proxy: clients must never need it or see it. */
    static final String PROVIDER_KEY = "sk-provider-secret-9876543210";
    /** Key {@code key-a}: budget {@code a}, given in the file as plaintext. */
    static final String KEY_A = "sg-alpha-0123456789abcdefghijklmnop";
    /** Key {@code key-b}: budget {@code b}, given in the file by its SHA-256 only. */
    static final String KEY_B = "sg-bravo-0123456789abcdefghijklmnop";
    /** Key {@code key-chooser}: budget {@code a}, may choose another with {@code X-SpendGuard-Budget-Id}. */
    static final String KEY_CHOOSER = "sg-chooser-0123456789abcdefghijklm";

    private VirtualKeyClient() { }

    /**
     * {@link ProxyHarness#config}'s proxy with the provider key set, budgets {@code a} and {@code b}
     * of $1 each and the three keys above; {@code extraAuth} adds lines under {@code auth:}.
     */
    static String config(String extraAuth) {
        String auth = """
                auth:
                  mode: virtual_keys
                  keys:
                    - { id: key-a, key: "%s", tenant: acme, budget_id: a }
                    - { id: key-b, key_sha256: "%s", tenant: beta, budget_id: b }
                    - { id: key-chooser, key: "%s", tenant: acme, budget_id: a, allow_budget_header: true }
                %s
                """.formatted(KEY_A, KeyConfig.sha256(KEY_B), KEY_CHOOSER, extraAuth.indent(2).stripTrailing());
        return ProxyHarness.config(1_000_000, "", auth)
                .replace("api_key: \"\"", "api_key: \"" + PROVIDER_KEY + "\"")
                .replace("  - id: default\n", "  - { id: b, limit_usd: 1, window: daily }\n  - id: a\n");
    }

    /** A chat completion sent with {@code key} as the Bearer token (no Authorization header when null). */
    static HttpResponse<String> chat(ProxyHarness h, String key, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(h.uri("/v1/chat/completions"))
                .timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("authorization", "Bearer " + key);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return h.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A request to the proxy's own admin port. */
    static HttpResponse<String> admin(ProxyHarness h, String method, String path, String body) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        return h.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.server.adminPort() + path))
                .timeout(Duration.ofSeconds(20)).header("content-type", "application/json").method(method, publisher).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
