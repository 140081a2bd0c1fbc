package io.spendguard.proxy.forward;

import io.vertx.core.MultiMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Header hygiene. Hop-by-hop headers (RFC 9110 §7.6.1, plus any named in {@code Connection}) never
 * cross the proxy; the proxy's own {@code X-SpendGuard-*} and idempotency headers are read, never
 * forwarded upstream; everything else passes through in both directions.
 */
public final class Headers {
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
            "content-length", "expect", "http2-settings");
    private static final Set<String> OURS = Set.of("idempotency-key");

    private Headers() { }

    /** The client's headers as they go to the provider (content-length is set from the body sent). */
    public static MultiMap upstream(MultiMap client) {
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        Set<String> dropped = connectionTokens(client);
        client.forEach((name, value) -> {
            String n = name.toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(n) && !dropped.contains(n) && !OURS.contains(n) && !n.startsWith("x-spendguard-")
                    && !n.equals("accept-encoding")) {
                out.add(name, value);
            }
        });
        // The proxy reads usage from replies, so it asks for them uncompressed.
        out.set("accept-encoding", "identity");
        return out;
    }

    /** The provider's reply headers as they go back to the client. */
    public static MultiMap downstream(MultiMap provider) {
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        Set<String> dropped = connectionTokens(provider);
        provider.forEach((name, value) -> {
            String n = name.toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(n) && !dropped.contains(n) && !n.startsWith("x-spendguard-")) {
                out.add(name, value);
            }
        });
        return out;
    }

    private static Set<String> connectionTokens(MultiMap headers) {
        List<String> values = headers.getAll("connection");
        if (values.isEmpty()) {
            return Set.of();
        }
        Set<String> tokens = new HashSet<>();
        for (String value : values) {
            for (String t : value.split(",")) {
                tokens.add(t.trim().toLowerCase(Locale.ROOT));
            }
        }
        return tokens;
    }
}
