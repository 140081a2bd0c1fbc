package io.spendguard.proxy.provider.openai;

import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.provider.EventFields;
import io.vertx.core.buffer.Buffer;

/**
 * Reads an OpenAI {@code data:}-only chunk stream (chat, legacy completions): each choice's output for
 * the running count, and the usage chunk, which is dropped from the client stream when the proxy asked
 * for it (no choices, usage set).
 */
final class ChunkScanner extends SeenOutput {

    /** What a chunk scanner reads of each chunk: its usage, its choices, and their output texts at the shape's paths. */
    static final class Chunks {
        private final EventFields fields = new EventFields();
        private final EventFields.Field usage = fields.value("usage");
        private final EventFields.Field choices = fields.size("choices");
        private final EventFields.Field output;

        Chunks(String... outputPaths) {
            this.output = fields.strings(outputPaths);
        }
    }

    private final boolean dropUsageEvent;
    private final Chunks chunks;

    ChunkScanner(TokenCounter tokens, String encoding, boolean dropUsageEvent, Chunks chunks) {
        super(tokens, encoding);
        this.dropUsageEvent = dropUsageEvent;
        this.chunks = chunks;
    }

    @Override
    public boolean onEvent(Buffer event) {
        EventFields.Event chunk = chunks.fields.read(event);
        if (chunk == null) {
            return true;
        }
        reported(OpenAiUsage.promptCompletion(chunk.value(chunks.usage)));
        int choices = chunk.size(chunks.choices);
        if (choices < 0) {
            return true;
        }
        chunk.strings(chunks.output, this::output);
        return !(dropUsageEvent && choices == 0 && usage() != null);
    }
}
