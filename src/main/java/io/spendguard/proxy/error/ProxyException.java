package io.spendguard.proxy.error;

import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An expected refusal: the {@link ProxyError}, the {@code error.code} to show (the error's own code
 * unless a decision names a reason, e.g. {@code BUDGET_EXHAUSTED}), a client-safe message, the
 * {@code spendguard} detail object and extra headers. Stackless: these are control flow, not bugs.
 */
public final class ProxyException extends RuntimeException {
    private final ProxyError error;
    private final String code;
    private String param;
    private final transient JsonObject detail;
    private final transient Map<String, String> headers = new LinkedHashMap<>();

    public ProxyException(ProxyError error, String message) {
        this(error, error.code(), message, null);
    }

    public ProxyException(ProxyError error, String code, String message, JsonObject detail) {
        super(message, null, false, false);
        this.error = error;
        this.code = code;
        this.detail = detail;
    }

    /** Adds a response header and returns this exception. */
    public ProxyException header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    /** Names the request field at fault ({@code error.param}). */
    public ProxyException param(String name) {
        this.param = name;
        return this;
    }

    public String param() { return param; }

    public ProxyError error() { return error; }

    public String code() { return code; }

    /** The {@code spendguard} object of the error body, or null. */
    public JsonObject detail() { return detail; }

    public Map<String, String> headers() { return headers; }
}
