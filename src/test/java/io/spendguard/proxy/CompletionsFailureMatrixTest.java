package io.spendguard.proxy;

import io.spendguard.proxy.provider.OpenAiCompletions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way a legacy completion can end, each settled exactly once: provider error → released; stream
 * cut by the provider or left by the client → the tokens seen; no usage → the hold.
 */
class CompletionsFailureMatrixTest extends HarnessTest {
    static final FailureCases COMPLETIONS = new FailureCases("/v1/completions", CompletionsFailureMatrixTest::body,
            new OpenAiCompletions(), "\"text\":\" mock\"");

    static String body(boolean stream) {
        return "{\"model\":\"gpt-test\",\"stream\":" + stream + ",\"max_tokens\":100,\"prompt\":\"Say hello\"}";
    }

    @ParameterizedTest(name = "stream={0}")
    @ValueSource(booleans = {false, true})
    void releasesTheReservationWhenTheProviderAnswers500(boolean stream) throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        COMPLETIONS.releasesTheReservationWhenTheProviderAnswers500(h, stream);
    }

    @Test
    void commitsTheTokensSeenWhenTheProviderBreaksOffMidStream() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        // "mock", " mock", " mock" before the cut.
        COMPLETIONS.commitsTheTokensSeenWhenTheProviderBreaksOffMidStream(h, 3, 3);
    }

    @Test
    void cancelsUpstreamAndCommitsTheTokensSeenWhenTheClientLeavesMidStream() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        COMPLETIONS.cancelsUpstreamAndCommitsTheTokensSeenWhenTheClientLeavesMidStream(h);
    }

    @ParameterizedTest(name = "stream={0}")
    @ValueSource(booleans = {false, true})
    void commitsTheHoldWhenA2xxReplyCarriesNoUsage(boolean stream) throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        COMPLETIONS.commitsTheHoldWhenA2xxReplyCarriesNoUsage(h, stream);
    }
}
