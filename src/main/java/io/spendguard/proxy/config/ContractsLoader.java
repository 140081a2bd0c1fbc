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
 * Reads a contracts file ({@code contracts: config/contract.yaml}) into compiled {@link Contracts}:
 * the SpendGuard v1alpha1 rule shape ({@code when: {budget_id, claim_amount_atomic_gt | _gte}},
 * {@code then: {decision, reason_code, approver_role}}) plus a CEL {@code condition} and, for
 * DEGRADE, {@code then.mutate: {model, max_output_tokens}}. Every CEL expression is compiled here,
 * once; any error names the file and the rule's key, e.g.
 * {@code config/contract.yaml: rules[2].condition: ERROR: <input>:1:9: undeclared reference to 'foo'}.
 */
public final class ContractsLoader {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final String[] DECISIONS = {"CONTINUE", "DEGRADE", "SKIP", "STOP", "REQUIRE_APPROVAL"};

    private ContractsLoader() { }

    /** Parses and compiles {@code yaml} read from {@code source}; throws {@link ConfigException} naming the key at fault. */
    public static Contracts parse(String yaml, String source, Function<String, String> env) {
        ConfigNode root = ConfigNode.parse(yaml, env, source).only("apiVersion", "kind", "metadata", "rules");
        String version = root.string("apiVersion", "spendguard.ai/v1alpha1");
        if (!version.endsWith("v1alpha1")) {
            throw new ConfigException(source + ": apiVersion: " + version + " (expected: spendguard.ai/v1alpha1)");
        }
        List<Rule> rules = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (ConfigNode r : root.list("rules")) {
            Rule rule;
            try {
                rule = rule(r);
            } catch (ConfigException e) {
                throw new ConfigException(source + ": " + e.getMessage(), e);
            }
            if (ids.contains(rule.id())) {
                throw new ConfigException(source + ": " + r.path("id") + ": " + rule.id() + " (duplicate; expected: unique rule ids)");
            }
            ids.add(rule.id());
            rules.add(rule);
        }
        return new Contracts(rules, source + " sha256:" + digest(yaml).substring(0, 12));
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
