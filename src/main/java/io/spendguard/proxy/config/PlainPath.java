package io.spendguard.proxy.config;

/**
 * The grammar of the paths the proxy serves and sends upstream: {@code /} and segments of unreserved
 * characters ({@code A-Z a-z 0-9 . _ ~ : -}), none empty, none {@code .} or {@code ..}. Nothing in such
 * a path can name a host, climb out of a base path or hide a parameter. Checked by hand on every call
 * (it runs twice per model call: for the request target and again for the upstream path).
 */
public final class PlainPath {
    private PlainPath() {
    }

    /** One or more plain segments, each after a {@code /}: {@code /v1/chat/completions}. */
    public static boolean segments(String path) {
        return path != null && segments(path, path.length());
    }

    /** {@link #segments}, or {@code /} alone, or segments with one trailing {@code /}: what a request target may be. */
    public static boolean target(String path) {
        if (path == null) {
            return false;
        }
        int n = path.length();
        if (n == 1 && path.charAt(0) == '/') {
            return true;
        }
        return segments(path, n > 1 && path.charAt(n - 1) == '/' ? n - 1 : n);
    }

    /** True when {@code text} has no character that no part of a target may hold: {@code @ \ #}, space, controls. */
    public static boolean noForbiddenCharacter(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= 0x20 || c == 0x7f || c == '@' || c == '\\' || c == '#') {
                return false;
            }
        }
        return true;
    }

    private static boolean segments(String path, int end) {
        if (end < 2 || path.charAt(0) != '/') {
            return false;
        }
        int start = 1;
        for (int i = 1; i <= end; i++) {
            if (i == end || path.charAt(i) == '/') {
                int length = i - start;
                if (length == 0 || (length <= 2 && dots(path, start, i))) {
                    return false;
                }
                start = i + 1;
            } else if (!unreserved(path.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean dots(String path, int from, int to) {
        for (int i = from; i < to; i++) {
            if (path.charAt(i) != '.') {
                return false;
            }
        }
        return true;
    }

    private static boolean unreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '_' || c == '~' || c == ':' || c == '-';
    }
}
