package io.spendguard.proxy.provider;

import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;

/**
 * Reads an OpenAI {@code data:}-only chunk stream (chat, legacy completions): each choice's output for
 * the running count, and the usage chunk, which is dropped from the client stream when the proxy asked
 * for it (no choices, usage set).
 */
final class ChunkScanner implements StreamScanner {

    /** The output texts one streamed choice carries. */
    @FunctionalInterface
    interface ChoiceTexts {
        void each(JsonObject choice, Consumer<String> text);
    }

    private final TokenCounter tokens;
    private final String encoding;
    private final boolean dropUsageEvent;
    private final ChoiceTexts texts;
    private Usage usage;
    private long output;

    ChunkScanner(TokenCounter tokens, String encoding, boolean dropUsageEvent, ChoiceTexts texts) {
        this.tokens = tokens;
        this.encoding = encoding;
        this.dropUsageEvent = dropUsageEvent;
        this.texts = texts;
    }

    @Override
    public boolean onEvent(Buffer event) {
        JsonObject chunk = SseEvents.json(event);
        if (chunk == null) {
            return true;
        }
        Usage reported = OpenAiUsage.promptCompletion(chunk.getValue("usage"));
        if (reported != null) {
            usage = reported;
        }
        if (!(chunk.getValue("choices") instanceof JsonArray choices)) {
            return true;
        }
        for (Object c : choices) {
            if (c instanceof JsonObject choice) {
                texts.each(choice, text -> output += tokens.count(encoding, text));
            }
        }
        return !(dropUsageEvent && choices.isEmpty() && usage != null);
    }

    @Override
    public Usage usage() {
        return usage;
    }

    @Override
    public long outputTokensSeen() {
        return output;
    }
}
