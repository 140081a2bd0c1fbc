package io.spendguard.proxy.engine;

import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.ListType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;

/**
 * A contract rule's CEL {@code condition}, parsed, type-checked and planned once when the contracts
 * are loaded, then evaluated per call against {@link RuleFacts#variables()}. The variables are
 * declared with their types ({@code claim.usd_micros} int, {@code budget.spent_ratio} double,
 * {@code request.stream} bool, {@code run.steps} int, {@code budget.path} list of strings, leaf first, …), so a typo or a type mismatch fails at load time, not per call; the
 * result must be a bool.
 */
public final class Condition {
    private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .addVar("claim.usd_micros", SimpleType.INT)
            .addVar("budget.id", SimpleType.STRING)
            .addVar("budget.path", ListType.create(SimpleType.STRING))
            .addVar("budget.remaining_usd_micros", SimpleType.INT)
            .addVar("budget.spent_ratio", SimpleType.DOUBLE)
            .addVar("request.model", SimpleType.STRING)
            .addVar("request.max_output_tokens", SimpleType.INT)
            .addVar("request.stream", SimpleType.BOOL)
            .addVar("request.repeated_tool_calls", SimpleType.INT)
            .addVar("run.id", SimpleType.STRING)
            .addVar("run.steps", SimpleType.INT)
            .addVar("run.usd_micros", SimpleType.INT)
            .addVar("tenant", SimpleType.STRING)
            .setResultType(SimpleType.BOOL)
            .build();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

    private final String expression;
    private final CelRuntime.Program program;

    private Condition(String expression, CelRuntime.Program program) {
        this.expression = expression;
        this.program = program;
    }

    /** Compiles {@code expression}; an {@link IllegalArgumentException} carries CEL's own message (with position). */
    public static Condition compile(String expression) {
        CelValidationResult result = COMPILER.compile(expression);
        if (result.hasError()) {
            throw new IllegalArgumentException(result.getErrorString().replace('\n', ' ').replaceAll(" +", " ").trim());
        }
        try {
            return new Condition(expression, RUNTIME.createProgram(result.getAst()));
        } catch (CelValidationException | CelEvaluationException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** True when the condition holds for {@code facts}; an evaluation error (e.g. overflow) is an {@link IllegalStateException}. */
    public boolean test(RuleFacts facts) {
        try {
            return Boolean.TRUE.equals(program.eval(facts.variables()));
        } catch (CelEvaluationException e) {
            throw new IllegalStateException("condition '" + expression + "' failed: " + e.getMessage(), e);
        }
    }

    public String expression() {
        return expression;
    }
}
