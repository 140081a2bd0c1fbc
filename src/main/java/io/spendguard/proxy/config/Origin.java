package io.spendguard.proxy.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/**
 * Where a provider is reached, taken apart once at start-up: scheme, host, port and an optional base
 * path. The upstream request is built from these parts plus a path of the proxy's own choosing, never
 * by joining text from a request onto a URL, so no request can choose the host its key is sent to.
 */
public record Origin(boolean tls, String host, int port, String basePath) {
    /** Path segments a base path may have: no dot segments, no percent-encoding, no empty segments. */
    private static final Pattern BASE_PATH = Pattern.compile("(/[A-Za-z0-9._~:-]+)*");

    public Origin {
        if (host == null || host.isBlank()) {
            throw new ConfigException("base_url: no host (expected: http(s)://host[:port][/path])");
        }
        if (port < 1 || port > 65535) {
            throw new ConfigException("base_url: port " + port + " (expected: 1..65535)");
        }
        if (!BASE_PATH.matcher(basePath).matches() || basePath.matches(".*/\\.{1,2}(/.*)?")) {
            throw new ConfigException("base_url: path " + basePath + " (expected: plain segments such as /openai, or none)");
        }
    }

    /** Parses {@code url}: {@code http} or {@code https}, a host, an optional port and path; no user info, query or fragment. */
    public static Origin parse(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new ConfigException("base_url: " + url + " (expected: an http:// or https:// URL)");
        }
        String scheme = uri.getScheme();
        if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
            throw new ConfigException("base_url: " + url + " (expected: an http:// or https:// URL)");
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new ConfigException("base_url: " + url + " (expected: no user info, query or fragment)");
        }
        boolean tls = "https".equalsIgnoreCase(scheme);
        String host = uri.getHost();
        if (host == null) {
            throw new ConfigException("base_url: " + url + " (expected: a host name or address)");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
        return new Origin(tls, host, uri.getPort() == -1 ? (tls ? 443 : 80) : uri.getPort(), path);
    }

    /** The URL this origin was read from, normalised (no trailing slash, default port omitted). */
    @Override
    public String toString() {
        boolean defaultPort = port == (tls ? 443 : 80);
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return (tls ? "https://" : "http://") + h + (defaultPort ? "" : ":" + port) + basePath;
    }
}
