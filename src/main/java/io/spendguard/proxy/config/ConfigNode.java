package io.spendguard.proxy.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A YAML mapping read with its path, so every validation message names the exact key
 * ({@code "gate.timeout_ms: 0 (expected: > 0)"}). Also owns {@code ${VAR}} / {@code ${VAR:-default}}
 * substitution, done on the text before parsing.
 */
public final class ConfigNode {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern DURATION = Pattern.compile("(\\d{1,18})(ms|s|m|h|d)");
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");

    private final String path;
    private final Map<String, Object> map;

    private ConfigNode(String path, Map<String, Object> map) {
        this.path = path;
        this.map = map;
    }

    /** Parses YAML text after substituting environment variables through {@code env}. */
    public static ConfigNode parse(String yaml, Function<String, String> env, String source) {
        Object root;
        try {
            com.fasterxml.jackson.databind.JsonNode tree = YAML.readTree(substitute(yaml, env));
            root = tree == null || tree.isMissingNode() || tree.isNull() ? Map.of() : YAML.treeToValue(tree, Object.class);
        } catch (java.io.IOException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (!(root instanceof Map)) {
            throw new ConfigException(source + ": expected a mapping at the top level");
        }
        return new ConfigNode("", cast(root));
    }

    /** Substitutes variables line by line, leaving comments alone (they may mention ${VAR} as documentation). */
    static String substitute(String text, Function<String, String> env) {
        StringBuilder out = new StringBuilder(text.length());
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (i > 0) {
                out.append('\n');
            }
            int comment = commentStart(line);
            out.append(substituteValues(line.substring(0, comment), env)).append(line, comment, line.length());
        }
        return out.toString();
    }

    /** Where a YAML comment starts on this line ({@code #} at the start or after a space, outside quotes). */
    private static int commentStart(String line) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                quote = c == quote ? 0 : quote;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return i;
            }
        }
        return line.length();
    }

    private static String substituteValues(String text, Function<String, String> env) {
        Matcher m = VAR.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = env.apply(m.group(1));
            if (value == null || (value.isEmpty() && m.group(2) != null)) {
                if (m.group(2) == null) {
                    throw new ConfigException("${" + m.group(1) + "} is not set (use ${" + m.group(1) + ":-default} for a default)");
                }
                value = m.group(3);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object o) {
        return (Map<String, Object>) o;
    }

    /** The dotted path of {@code key} below this node. */
    public String path(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    public boolean has(String key) {
        return map.containsKey(key) && map.get(key) != null;
    }

    public Set<String> keys() {
        return map.keySet();
    }

    /** Fails on any key not in {@code allowed}, so a typo is an error rather than a silent default. */
    public ConfigNode only(String... allowed) {
        Set<String> ok = Set.of(allowed);
        for (String key : map.keySet()) {
            if (!ok.contains(key)) {
                throw new ConfigException(path(key) + ": unknown key (expected one of: " + String.join(", ", new TreeSet<>(ok)) + ")");
            }
        }
        return this;
    }

    public ConfigNode child(String key) {
        Object v = map.get(key);
        if (v == null) {
            return new ConfigNode(path(key), Map.of());
        }
        if (!(v instanceof Map)) {
            throw new ConfigException(path(key) + ": expected a mapping");
        }
        return new ConfigNode(path(key), cast(v));
    }

    /** The list at {@code key} (absent: empty). */
    private Collection<?> items(String key) {
        Object v = map.get(key);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof Collection<?> c)) {
            throw new ConfigException(path(key) + ": expected a list");
        }
        return c;
    }

    public List<ConfigNode> list(String key) {
        List<ConfigNode> out = new ArrayList<>();
        int i = 0;
        for (Object item : items(key)) {
            String p = path(key) + "[" + i++ + "]";
            if (!(item instanceof Map)) {
                throw new ConfigException(p + ": expected a mapping");
            }
            out.add(new ConfigNode(p, cast(item)));
        }
        return out;
    }

    /** A list of scalars (e.g. file paths) as strings; absent: empty. */
    public List<String> strings(String key) {
        List<String> out = new ArrayList<>();
        int i = 0;
        for (Object item : items(key)) {
            if (item == null || item instanceof Map || item instanceof Collection) {
                throw new ConfigException(path(key) + "[" + i + "]: expected a string");
            }
            out.add(item.toString());
            i++;
        }
        return out;
    }

    /** Child mappings keyed by name (e.g. {@code models:}), in file order. */
    public Map<String, ConfigNode> children() {
        Map<String, ConfigNode> out = new LinkedHashMap<>();
        for (String key : map.keySet()) {
            out.put(key, child(key));
        }
        return out;
    }

    public String string(String key, String def) {
        Object v = map.get(key);
        if (v == null) {
            return def;
        }
        if (v instanceof Map || v instanceof Collection) {
            throw new ConfigException(path(key) + ": expected a string");
        }
        return v.toString();
    }

    public String requiredString(String key) {
        String v = string(key, null);
        if (v == null || v.isBlank()) {
            throw new ConfigException(path(key) + ": missing (expected: a non-empty string)");
        }
        return v;
    }

    /** A string that must be one of {@code allowed}. */
    public String choice(String key, String def, String... allowed) {
        String v = string(key, def);
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        throw new ConfigException(path(key) + ": " + v + " (expected one of: " + String.join(", ", allowed) + ")");
    }

    /**
     * One of an enum's values, written as its {@link Labelled#label() label}; {@code def} when absent.
     * Anything else fails naming the key and every label, in declaration order.
     */
    public <E extends Enum<E> & Labelled> E choice(String key, E def) {
        String v = string(key, def.label());
        List<String> labels = new ArrayList<>();
        for (E e : def.getDeclaringClass().getEnumConstants()) {
            if (e.label().equals(v)) {
                return e;
            }
            labels.add(e.label());
        }
        throw new ConfigException(path(key) + ": " + v + " (expected one of: " + String.join(", ", labels) + ")");
    }

    public boolean bool(String key, boolean def) {
        Object v = map.get(key);
        if (v == null) {
            return def;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw new ConfigException(path(key) + ": " + v + " (expected: true or false)");
    }

    public BigDecimal decimal(String key, BigDecimal def) {
        Object v = map.get(key);
        if (v == null) {
            return def;
        }
        try {
            return new BigDecimal(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(path(key) + ": " + v + " (expected: a number)");
        }
    }

    /** A whole number at least {@code min}. */
    public long longAtLeast(String key, long def, long min) {
        BigDecimal d = decimal(key, BigDecimal.valueOf(def));
        long v;
        try {
            v = d.longValueExact();
        } catch (ArithmeticException e) {
            throw new ConfigException(path(key) + ": " + d.toPlainString() + " (expected: a whole number)");
        }
        if (v < min) {
            throw new ConfigException(path(key) + ": " + v + " (expected: >= " + min + ")");
        }
        return v;
    }

    public int intAtLeast(String key, int def, int min) {
        long v = longAtLeast(key, def, min);
        if (v > Integer.MAX_VALUE) {
            throw new ConfigException(path(key) + ": " + v + " (expected: <= " + Integer.MAX_VALUE + ")");
        }
        return (int) v;
    }

    /**
     * A positive duration written as a whole number and a unit: {@code 250ms}, {@code 30s},
     * {@code 15m}, {@code 1h}, {@code 2d}.
     */
    public Duration duration(String key, Duration def) {
        String v = string(key, null);
        if (v == null) {
            return def;
        }
        Matcher m = DURATION.matcher(v.trim());
        if (!m.matches()) {
            throw new ConfigException(path(key) + ": " + v + " (expected: a whole number and a unit, e.g. 90s, 30m, 1h, 2d)");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new ConfigException(path(key) + ": " + v + " (expected: a smaller number)");
        }
        if (n <= 0) {
            throw new ConfigException(path(key) + ": " + v + " (expected: > 0)");
        }
        try {
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } catch (ArithmeticException e) {
            throw new ConfigException(path(key) + ": " + v + " (expected: a smaller duration)");
        }
    }

    /** A USD amount (e.g. {@code 10.00}) as µUSD; must be >= 0. */
    public Long usdMicros(String key) {
        BigDecimal usd = decimal(key, null);
        if (usd == null) {
            return null;
        }
        if (usd.signum() < 0) {
            throw new ConfigException(path(key) + ": " + usd.toPlainString() + " (expected: >= 0)");
        }
        try {
            return usd.movePointRight(6).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
        } catch (ArithmeticException e) {
            throw new ConfigException(path(key) + ": " + usd.toPlainString() + " (expected: at most 9223372036854.775807)");
        }
    }
}
