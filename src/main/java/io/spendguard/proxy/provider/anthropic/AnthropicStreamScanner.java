package io.spendguard.proxy.provider.anthropic;

import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.provider.DeltaTexts;
import io.spendguard.proxy.provider.EventFields;
import io.spendguard.proxy.provider.Fields;
import io.spendguard.proxy.provider.StreamScanner;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * Reads an Anthropic Messages stream. {@code message_start} carries the input (uncached, cache reads,
 * cache writes); {@code message_delta} carries the cumulative output and, in newer API versions, the
 * input again (which then wins). Usage is known once a {@code message_delta} with usage has arrived and
 * some input count has been seen: a stream cut before that is billed from what was seen. An
 * {@code error} event ({@code overloaded_error} and the like) before the final usage marks the call
 * failed, so it is billed as cut short. Text, tool-input JSON and thinking deltas count as output seen.
 */
final class AnthropicStreamScanner implements StreamScanner {
    private static final EventFields FIELDS = new EventFields();
    private static final EventFields.Field TYPE = FIELDS.value("type");
    private static final EventFields.Field START_USAGE = FIELDS.value("message.usage");
    private static final EventFields.Field USAGE = FIELDS.value("usage");
    private static final EventFields.Field BLOCK_TEXTS = FIELDS.strings("content_block.text", "content_block.name");
    private static final EventFields.Field DELTA_TEXTS = FIELDS.strings("delta.text", "delta.partial_json", "delta.thinking");

    private final DeltaTexts seen;
    private Long uncached;
    private long cacheRead;
    private long cacheWrite;
    private Long output;
    private boolean error;

    AnthropicStreamScanner(TokenCounter tokens, String encoding) {
        this.seen = new DeltaTexts(tokens, encoding);
    }

    @Override
    public boolean onEvent(Buffer event) {
        EventFields.Event e = FIELDS.read(event);
        if (e == null) {
            return true;
        }
        switch (String.valueOf(e.value(TYPE))) {
            case "message_start" -> {
                if (e.value(START_USAGE) instanceof JsonObject u) {
                    input(u);
                }
            }
            case "message_delta" -> {
                if (e.value(USAGE) instanceof JsonObject u) {
                    input(u);
                    output = Fields.count(u, "output_tokens");
                }
            }
            case "content_block_start" -> e.strings(BLOCK_TEXTS, seen::add);
            case "content_block_delta" -> e.strings(DELTA_TEXTS, seen::add);
            case "error" -> error = true;
            default -> { }
        }
        return true;
    }

    /** Takes each input count the usage block carries, keeping earlier ones it leaves out. */
    private void input(JsonObject u) {
        if (u.getValue("input_tokens") != null) {
            uncached = Fields.count(u, "input_tokens");
        }
        if (u.getValue("cache_read_input_tokens") != null) {
            cacheRead = Fields.count(u, "cache_read_input_tokens");
        }
        if (u.getValue("cache_creation_input_tokens") != null) {
            cacheWrite = Fields.count(u, "cache_creation_input_tokens");
        }
    }

    @Override
    public Usage usage() {
        return output == null || uncached == null ? null : new Usage(uncached, cacheRead, cacheWrite, output);
    }

    @Override
    public long outputTokensSeen() {
        return seen.tokens();
    }

    @Override
    public boolean failed() {
        return error && usage() == null;
    }
}
