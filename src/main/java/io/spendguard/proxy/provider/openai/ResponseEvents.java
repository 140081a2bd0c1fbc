package io.spendguard.proxy.provider.openai;

import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.provider.EventFields;
import io.vertx.core.buffer.Buffer;
import java.util.Set;

/**
 * Reads an OpenAI Responses event stream. Usage comes from the {@code response} of the terminal
 * event — {@code response.completed}, and also {@code response.incomplete} and
 * {@code response.failed}, which are billed too. Output is counted from text, refusal,
 * function-call argument and reasoning deltas, the bill of a stream cut short. An {@code error}
 * event, or a {@code response.failed} without usage, marks the stream failed. No event is dropped.
 */
final class ResponseEvents extends SeenOutput {
    private static final Set<String> TERMINAL = Set.of("response.completed", "response.incomplete", "response.failed");
    private static final Set<String> OUTPUT_DELTAS = Set.of("response.output_text.delta", "response.refusal.delta",
            "response.function_call_arguments.delta", "response.reasoning_summary_text.delta", "response.reasoning_text.delta");
    private static final EventFields FIELDS = new EventFields();
    private static final EventFields.Field TYPE = FIELDS.value("type");
    private static final EventFields.Field DELTA = FIELDS.strings("delta");
    /** Only the usage of a terminal event's {@code response}: the rest repeats the whole reply. */
    private static final EventFields.Field USAGE = FIELDS.value("response.usage");

    private boolean error;

    ResponseEvents(TokenCounter tokens, String encoding) {
        super(tokens, encoding);
    }

    @Override
    public boolean onEvent(Buffer event) {
        EventFields.Event e = FIELDS.read(event);
        if (e == null || !(e.value(TYPE) instanceof String type)) {
            return true;
        }
        if (OUTPUT_DELTAS.contains(type)) {
            e.strings(DELTA, this::output);
        } else if (TERMINAL.contains(type)) {
            reported(OpenAiUsage.inputOutput(e.value(USAGE)));
            error |= "response.failed".equals(type);
        } else if ("error".equals(type)) {
            error = true;
        }
        return true;
    }

    @Override
    public boolean failed() {
        return error && usage() == null;
    }
}
