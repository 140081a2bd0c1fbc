package io.spendguard.proxy;

import io.spendguard.proxy.provider.openai.OpenAiCompletions;

/** Every way a legacy completion can end, streaming and not, each settled exactly once ({@link RouteFailureMatrix}). */
class CompletionsFailureMatrixTest extends RouteFailureMatrix {

    /** The cut comes after "mock", " mock", " mock": three output tokens. */
    CompletionsFailureMatrixTest() {
        super("/v1/completions", stream -> "{\"model\":\"gpt-test\",\"stream\":" + stream + ",\"max_tokens\":100,\"prompt\":\"Say hello\"}",
                new OpenAiCompletions(), "\"text\":\" mock\"", 3, 3);
    }
}
