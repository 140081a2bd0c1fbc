package io.spendguard.proxy.config;

import java.util.regex.Pattern;

/**
 * The grammar of the ids an operator names things by (budgets, virtual keys): letters, digits and
 * {@code . _ : -}, 1 to 128 of them, and not {@code .} or {@code ..} alone. Ids appear in URL paths,
 * metric labels, audit records and log lines, so nothing that could steer a path, split a line or
 * end a string is allowed in one.
 */
public final class Ids {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    /** How a refusal states what was expected. */
    public static final String EXPECTED = "1 to 128 letters, digits, '.', '_', ':' or '-', and not '.' or '..'";

    private Ids() {
    }

    public static boolean valid(String id) {
        return id != null && ID.matcher(id).matches() && !id.equals(".") && !id.equals("..");
    }

    /**
     * {@code id} for a refusal message: quoted as JSON would, cut at 64 characters, so that a control
     * character or a very long value is shown, not acted on.
     */
    public static String shown(String id) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < id.length() && i < 64; i++) {
            char c = id.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append(id.length() > 64 ? "…\"" : "\"").toString();
    }
}
