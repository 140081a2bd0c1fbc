package io.spendguard.proxy.provider.openai;

import io.spendguard.proxy.config.Provider;
import io.spendguard.proxy.provider.ApiShape;

/** An API shape served by the configured {@code openai} provider, with its bounded route label. */
abstract class OpenAiShape implements ApiShape {
    private final String route;
    private final String path;

    OpenAiShape(String route, String path) {
        this.route = route;
        this.path = path;
    }

    @Override
    public final String path() {
        return path;
    }

    @Override
    public final Provider provider() {
        return Provider.OPENAI;
    }

    @Override
    public final String route() {
        return route;
    }
}
