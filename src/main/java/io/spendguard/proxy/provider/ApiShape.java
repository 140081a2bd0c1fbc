package io.spendguard.proxy.provider;

import io.spendguard.proxy.config.Provider;
import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * One provider API shape (e.g. OpenAI chat completions): reads a request body into a
 * {@link CallSpec}, asks for usage in streams, and reads usage back from JSON and SSE replies.
 */
public interface ApiShape {

    /** Which configured provider serves this shape. */
    Provider provider();

    /** The bounded route label for metrics, e.g. {@code chat_completions}. */
    String route();

    /**
     * The path this shape is served at, e.g. {@code /v1/chat/completions}: where the proxy takes the
     * call and, below the provider's base path, where it sends it.
     */
    String path();

    /** Validates and reads the body; throws {@code ProxyException(INVALID_REQUEST)} naming the field. */
    CallSpec parse(JsonObject body);

    /**
     * For a streaming call whose body does not ask the provider to report usage, the body to send
     * instead (the one rewrite the proxy makes on its own); null when the original already asks.
     */
    Buffer withStreamUsage(Buffer original, JsonObject body);

    /**
     * The body field that carries the output limit for this request ({@code max_tokens},
     * {@code max_completion_tokens}, {@code max_output_tokens}): where a DEGRADE mutation or
     * {@code cap_output_to_reservation} writes the limit. Null for APIs that produce no output.
     */
    String outputLimitField(JsonObject body);

    /** Usage from a non-stream JSON reply, or null when the reply carries none. */
    Usage usage(JsonObject reply);

    /**
     * A scanner for one SSE reply. {@code encoding} counts output seen so far (for cut streams);
     * {@code dropUsageEvent} removes the usage-only event the proxy asked for on the client's behalf.
     */
    StreamScanner scanner(TokenCounter tokens, String encoding, boolean dropUsageEvent);
}
