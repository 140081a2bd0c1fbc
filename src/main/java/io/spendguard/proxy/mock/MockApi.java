package io.spendguard.proxy.mock;

import io.vertx.core.json.JsonObject;

/** One API the {@link MockProvider} speaks, answering like the real provider with request-dependent usage. */
interface MockApi {

    /** Answers a call (status below 400; the provider answers error statuses itself). */
    void reply(MockCall call);

    /** The body of an {@code x-mock-status} error reply, in this provider's error shape. */
    default JsonObject error(int status) {
        return MockCall.openAiError("mock provider error " + status, status >= 500 ? "server_error" : "invalid_request_error");
    }
}
