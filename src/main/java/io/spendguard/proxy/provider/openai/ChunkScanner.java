package io.spendguard.proxy.provider.openai;

import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.provider.SseEvents;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;

/**
 * Reads an OpenAI {@code data:}-only chunk stream (chat, legacy completions): each choice's output for
 * the running count, and the usage chunk, which is dropped from the client stream when the proxy asked
 * for it (no choices, usage set).
 */
final class ChunkScanner extends SeenOutput {

    /** The output texts one streamed choice carries. */
    @FunctionalInterface
    interface ChoiceTexts {
        void each(JsonObject choice, Consumer<String> text);
    }

    private final boolean dropUsageEvent;
    private final ChoiceTexts texts;

    ChunkScanner(TokenCounter tokens, String encoding, boolean dropUsageEvent, ChoiceTexts texts) {
        super(tokens, encoding);
        this.dropUsageEvent = dropUsageEvent;
        this.texts = texts;
    }

    @Override
    public boolean onEvent(Buffer event) {
        JsonObject chunk = SseEvents.json(event);
        if (chunk == null) {
            return true;
        }
        reported(OpenAiUsage.promptCompletion(chunk.getValue("usage")));
        if (!(chunk.getValue("choices") instanceof JsonArray choices)) {
            return true;
        }
        for (Object c : choices) {
            if (c instanceof JsonObject choice) {
                texts.each(choice, this::output);
            }
        }
        return !(dropUsageEvent && choices.isEmpty() && usage() != null);
    }
}
