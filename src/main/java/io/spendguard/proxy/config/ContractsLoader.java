package io.spendguard.proxy.config;

import io.spendguard.proxy.engine.Condition;
import io.spendguard.proxy.engine.Contracts;
import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.engine.Mutation;
import io.spendguard.proxy.engine.Rule;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads a contracts file ({@code contracts: config/contract.yaml}) into compiled {@link Contracts}.
 * Two shapes load: SpendGuard's own Contract ({@code apiVersion: spendguard.ai/v1alpha1} or
 * {@code contract.spendguard.io/v1alpha1}, {@code kind: Contract}, {@code metadata: {id, name}} and a
 * {@code spec:} holding {@code budgets:} and {@code rules:}), unchanged; and the flat form, with
 * {@code rules:} at the top and no budgets. A rule is SpendGuard's v1alpha1 shape
 * ({@code when: {budget_id, claim_amount_atomic_gt | _gte}}, amounts as numbers or quoted strings,
 * {@code then: {decision, reason_code, approver_role}}) plus a CEL {@code condition} and, for DEGRADE,
 * {@code then.mutate: {model, max_output_tokens}}. A {@code spec.budgets[]} entry is
 * {@code {id, limit_amount_atomic, currency: USD, reservation_ttl_seconds, require_hard_cap, parent}} in µUSD;
 * {@code parent} names the budget above it (SPEC §11), and budgets of the file that name each other
 * round in a circle are refused here (a parent outside the file is checked when the budgets are provisioned).
 * Every CEL expression is compiled here, once; an unknown key is refused; any error names the file
 * and the key, e.g. {@code config/contract.yaml: spec.rules[2].condition: ERROR: <input>:1:9:
 * undeclared reference to 'foo'}.
 */
public final class ContractsLoader {
    /** The apiVersions SpendGuard publishes for this shape; the first is the default when none is written. */
    private static final String[] VERSIONS = {"spendguard.ai/v1alpha1", "contract.spendguard.io/v1alpha1"};
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final String[] DECISIONS = {"CONTINUE", "DEGRADE", "SKIP", "STOP", "REQUIRE_APPROVAL"};

    private ContractsLoader() { }

    /** Parses and compiles {@code yaml} read from {@code source}; throws {@link ConfigException} naming the key at fault. */
    public static Contracts parse(String yaml, String source, Function<String, String> env) {
        ConfigNode root = ConfigNode.parse(yaml, env, source);
        try {
            return contracts(root, source + " sha256:" + digest(yaml).substring(0, 12));
        } catch (ConfigException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
        }
    }

    private static Contracts contracts(ConfigNode root, String source) {
        root.only("apiVersion", "kind", "metadata", "spec", "rules");
        root.choice("apiVersion", VERSIONS[0], VERSIONS);
        root.choice("kind", "Contract", "Contract");
        ConfigNode metadata = root.child("metadata").only("id", "name", "description");
        metadata.keys().forEach(k -> metadata.string(k, null));
        ConfigNode body = root;
        if (root.has("spec")) {
            if (root.has("rules")) {
                throw new ConfigException("rules: set next to spec (expected: spec.rules, or the flat form without spec)");
            }
            body = root.child("spec").only("budgets", "rules");
        }
        List<Contracts.Budget> budgets = new ArrayList<>();
        for (ConfigNode b : body.list("budgets")) {
            Contracts.Budget budget = budget(b);
            if (budgets.stream().anyMatch(x -> x.id().equals(budget.id()))) {
                throw new ConfigException(b.path("id") + ": " + budget.id() + " (duplicate; expected: unique budget ids)");
            }
            budgets.add(budget);
        }
        noCycles(budgets);
        List<Rule> rules = new ArrayList<>();
        for (ConfigNode r : body.list("rules")) {
            Rule rule = rule(r);
            if (rules.stream().anyMatch(x -> x.id().equals(rule.id()))) {
                throw new ConfigException(r.path("id") + ": " + rule.id() + " (duplicate; expected: unique rule ids)");
            }
            rules.add(rule);
        }
        return new Contracts(rules, budgets, source);
    }

    /** One {@code spec.budgets[]} entry; SpendGuard's atomic units of USD are µUSD. */
    private static Contracts.Budget budget(ConfigNode b) {
        b.only("id", "limit_amount_atomic", "currency", "reservation_ttl_seconds", "require_hard_cap", "parent");
        String id = b.requiredString("id");
        if (!ID.matcher(id).matches()) {
            throw new ConfigException(b.path("id") + ": " + id + " (expected: letters, digits, '.', '_', ':' or '-', at most 128)");
        }
        if (!b.has("limit_amount_atomic")) {
            throw new ConfigException(b.path("limit_amount_atomic") + ": missing (expected: the limit in µUSD, e.g. \"1000000000\" for $1000)");
        }
        String currency = b.requiredString("currency");
        if (!currency.equals("USD")) {
            throw new ConfigException(b.path("currency") + ": " + currency + " (expected: USD)");
        }
        String parent = b.has("parent") ? b.requiredString("parent") : null;
        if (parent != null && !ID.matcher(parent).matches()) {
            throw new ConfigException(b.path("parent") + ": " + parent
                    + " (expected: a budget id, letters, digits, '.', '_', ':' or '-', at most 128)");
        }
        if (id.equals(parent)) {
            throw new ConfigException(b.path("parent") + ": " + parent + " is the budget itself (expected: another budget)");
        }
        String path = b.path("id");
        return new Contracts.Budget(id, b.longAtLeast("limit_amount_atomic", 0, 0), b.longAtLeast("reservation_ttl_seconds", 600, 1),
                b.bool("require_hard_cap", false), path.substring(0, path.length() - ".id".length()), parent);
    }

    /** Refuses budgets of the file whose parents, followed up, come back to them (named, with the circle). */
    private static void noCycles(List<Contracts.Budget> budgets) {
        java.util.Map<String, String> parents = new java.util.HashMap<>();
        budgets.forEach(b -> parents.put(b.id(), b.parent()));
        for (Contracts.Budget b : budgets) {
            List<String> seen = new ArrayList<>(List.of(b.id()));
            for (String up = b.parent(); up != null && parents.containsKey(up); up = parents.get(up)) {
                if (up.equals(b.id())) {
                    throw new ConfigException(b.path() + ".parent: " + b.parent() + " (a cycle: " + String.join(" -> ", seen)
                            + " -> " + b.id() + "; expected: parents that end at a root)");
                }
                if (seen.contains(up)) {
                    break;
                }
                seen.add(up);
            }
        }
    }

    private static Rule rule(ConfigNode r) {
        r.only("id", "description", "when", "condition", "then");
        String id = r.requiredString("id");
        if (!ID.matcher(id).matches()) {
            throw new ConfigException(r.path("id") + ": " + id + " (expected: letters, digits, '.', '_', ':' or '-', at most 128)");
        }
        ConfigNode when = r.child("when").only("budget_id", "claim_amount_atomic_gt", "claim_amount_atomic_gte");
        Condition condition = null;
        if (r.has("condition")) {
            String expression = r.requiredString("condition");
            try {
                condition = Condition.compile(expression);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(r.path("condition") + ": " + e.getMessage());
            }
        }
        ConfigNode then = r.child("then").only("decision", "reason_code", "approver_role", "mutate");
        Outcome outcome = Outcome.valueOf(then.choice("decision", null, DECISIONS));
        String reason = then.string("reason_code", id.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9]", "_"));
        try {
            return new Rule(id, when.has("budget_id") ? when.requiredString("budget_id") : null,
                    amount(when, "claim_amount_atomic_gt"), amount(when, "claim_amount_atomic_gte"), condition, outcome, reason,
                    then.has("approver_role") ? then.requiredString("approver_role") : null, mutation(then));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(r.path(e.getMessage()));
        }
    }

    private static Long amount(ConfigNode when, String key) {
        return when.has(key) ? when.longAtLeast(key, 0, 0) : null;
    }

    private static Mutation mutation(ConfigNode then) {
        if (!then.has("mutate")) {
            return null;
        }
        ConfigNode m = then.child("mutate").only("model", "max_output_tokens");
        return new Mutation(m.has("model") ? m.requiredString("model") : null,
                m.has("max_output_tokens") ? m.intAtLeast("max_output_tokens", 1, 1) : null, null);
    }

    private static String digest(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
