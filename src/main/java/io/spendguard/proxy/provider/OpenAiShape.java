package io.spendguard.proxy.provider;

/** An API shape served by the configured {@code openai} provider, with its bounded route label. */
abstract class OpenAiShape implements ApiShape {
    private final String route;

    OpenAiShape(String route) {
        this.route = route;
    }

    @Override
    public final String provider() {
        return "openai";
    }

    @Override
    public final String route() {
        return route;
    }
}
