package io.spendguard.proxy;

import static io.spendguard.proxy.VirtualKeyClient.KEY_A;
import static io.spendguard.proxy.VirtualKeyClient.KEY_B;
import static io.spendguard.proxy.VirtualKeyClient.KEY_CHOOSER;
import static io.spendguard.proxy.VirtualKeyClient.chat;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** A virtual key's budget pays for every call it makes; another budget only when the key or the config allows choosing. */
class VirtualKeyBudgetsTest extends HarnessTest {
    private static final String BODY = ChatCompletionsTest.BODY;

    @Test
    void eachKeySpendsOnlyItsOwnBudget() throws Exception {
        h = start(VirtualKeyClient.config(""));

        assertThat(chat(h, KEY_A, BODY).statusCode()).isEqualTo(200);
        h.assertSettled(1, "a");
        long spentByA = h.budget("a").committedMicros();
        assertThat(spentByA).isPositive();
        assertThat(h.budget("b").committedMicros()).isZero();

        assertThat(chat(h, KEY_B, BODY).statusCode()).isEqualTo(200);
        h.assertSettled(2, "b");
        assertThat(h.budget("b").committedMicros()).isPositive();
        assertThat(h.budget("a").committedMicros()).as("key B never touches budget a").isEqualTo(spentByA);
    }

    @Test
    void keyThatMayNotChooseGets403ForABudgetHeaderAndSpendsNothing() throws Exception {
        h = start(VirtualKeyClient.config(""));

        HttpResponse<String> r = chat(h, KEY_A, BODY, "X-SpendGuard-Budget-Id", "b");

        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("code")).isEqualTo("budget_header_not_trusted");
        assertThat(h.mock.received()).isEmpty();
        assertThat(h.budget("a").committedMicros()).isZero();
        assertThat(h.budget("b").committedMicros()).isZero();
        assertThat(h.budget("b").reservedMicros()).isZero();
    }

    @Test
    void keyAllowedToChooseSpendsTheBudgetItNamesElseItsOwn() throws Exception {
        h = start(VirtualKeyClient.config(""));

        assertThat(chat(h, KEY_CHOOSER, BODY, "X-SpendGuard-Budget-Id", "b").statusCode()).isEqualTo(200);
        h.assertSettled(1, "b");
        assertThat(h.budget("b").committedMicros()).isPositive();
        assertThat(h.budget("a").committedMicros()).isZero();

        assertThat(chat(h, KEY_CHOOSER, BODY).statusCode()).isEqualTo(200);
        h.assertSettled(2, "a");
        assertThat(h.budget("a").committedMicros()).isPositive();
    }

    @Test
    void trustBudgetHeaderLetsEveryKeyChoose() throws Exception {
        h = start(VirtualKeyClient.config("trust_budget_header: true"));

        assertThat(chat(h, KEY_A, BODY, "X-SpendGuard-Budget-Id", "b").statusCode()).isEqualTo(200);
        h.assertSettled(1, "b");
        assertThat(h.budget("b").committedMicros()).isPositive();
        assertThat(h.budget("a").committedMicros()).isZero();
    }

    @Test
    void chosenBudgetThatDoesNotExistIsRefusedAndNothingIsForwarded() throws Exception {
        h = start(VirtualKeyClient.config(""));

        HttpResponse<String> r = chat(h, KEY_CHOOSER, BODY, "X-SpendGuard-Budget-Id", "nope");

        // The gate's own answer for an unknown budget: the embedded engine's 400 (the sidecar path fails closed).
        assertThat(r.statusCode()).isEqualTo(h.sidecarMode() ? 503 : 400);
        assertThat(h.mock.received()).isEmpty();
    }
}
