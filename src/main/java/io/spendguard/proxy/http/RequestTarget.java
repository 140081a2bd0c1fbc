package io.spendguard.proxy.http;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.QueryStringEncoder;
import io.spendguard.proxy.config.PlainPath;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * A request target checked to be plain origin-form (RFC 9112 §3.2.1): a path of ordinary segments and
 * an optional query, nothing that could name a host. Absolute and authority forms, {@code //},
 * {@code @}, backslashes, control characters, dot segments, {@code ;} parameters and percent-encoding
 * in the path are refused with 400 (RFC 9112 lets a server refuse them); none of the proxy's routes
 * needs them. The query is decoded and encoded again, so only what it means goes upstream.
 *
 * @param path  the path without a trailing slash
 * @param query the re-encoded query without its {@code ?}; null when there is none
 */
public record RequestTarget(String path, String query) {
    /** Checks {@code uri} (the request target as received); fails with a 400 {@link ProxyException}. */
    public static RequestTarget parse(String uri) {
        if (uri == null || uri.isEmpty() || uri.charAt(0) != '/' || uri.startsWith("//")) {
            throw refused("The request target must be a path (origin-form), not an absolute URL or authority.");
        }
        if (!PlainPath.noForbiddenCharacter(uri)) {
            throw refused("The request target has a character this proxy does not accept (@, \\, #, space or control).");
        }
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        if (!PlainPath.target(path)) {
            throw refused("The request path must be plain segments: no empty or dot segments, ';' or percent-encoding.");
        }
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return new RequestTarget(path, q < 0 || q == uri.length() - 1 ? null : reencode(uri.substring(q + 1)));
    }

    /** The query's names and values as it means them, percent-encoded afresh. */
    private static String reencode(String raw) {
        Map<String, List<String>> params;
        try {
            params = new QueryStringDecoder(raw, StandardCharsets.UTF_8, false).parameters();
        } catch (IllegalArgumentException e) {
            throw refused("The query string is not well-formed.");
        }
        QueryStringEncoder out = new QueryStringEncoder("", StandardCharsets.UTF_8);
        params.forEach((name, values) -> values.forEach(v -> out.addParam(name, v)));
        String encoded = out.toString();
        return encoded.isEmpty() ? null : encoded.substring(1);
    }

    private static ProxyException refused(String message) {
        return ProxyError.INVALID_TARGET.exception(message);
    }
}
