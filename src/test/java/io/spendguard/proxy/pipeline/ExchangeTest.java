package io.spendguard.proxy.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.pipeline.Exchange.State;
import io.spendguard.proxy.provider.openai.OpenAiChat;
import io.vertx.core.MultiMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The call's state machine: checked transitions, and exactly one settlement of an admitted call on every path. */
class ExchangeTest {

    private static Exchange received() {
        return new Exchange(null, new OpenAiChat(), null, MultiMap.caseInsensitiveMultiMap());
    }

    private static Exchange parsed() {
        Exchange x = received();
        x.parsed(null, null, null, "default", "hash");
        return x;
    }

    /** Admitted without a reservation (as under fail_mode: open): the transitions are the same. */
    private static Exchange admitted() {
        Exchange x = parsed();
        x.admitted(null, null);
        return x;
    }

    private static void assertClientClosed(Runnable transition) {
        assertThatThrownBy(transition::run).isInstanceOfSatisfying(ProxyException.class,
                e -> assertThat(e.error()).isEqualTo(ProxyError.CLIENT_CLOSED));
    }

    @Test
    void aCallThatSucceedsMovesThroughEveryStateAndSettlesOnce() {
        Exchange x = admitted();
        assertThat(x.state()).isEqualTo(State.ADMITTED);
        assertThat(x.holds()).isTrue();
        assertThat(x.settled().isComplete()).as("an admitted call's settlement has not landed").isFalse();
        x.forwarded();
        assertThat(x.state()).isEqualTo(State.FORWARDED);
        assertThat(x.settling()).isTrue();
        assertThat(x.state()).isEqualTo(State.SETTLED);
        assertThat(x.holds()).isFalse();
        assertThat(x.settling()).as("a second settlement").isFalse();
        x.landed();
        assertThat(x.settled().succeeded()).isTrue();
    }

    @Test
    void aProviderErrorSettlesOnceWhicheverReportComesFirst() {
        Exchange x = admitted();
        x.forwarded();
        assertThat(x.settling()).as("the provider's 500 releases").isTrue();
        x.clientGone();
        assertThat(x.settling()).as("the client leaving afterwards").isFalse();
        assertThat(x.state()).isEqualTo(State.SETTLED);
    }

    @Test
    void transitionsCheckTheStateTheyLeave() {
        assertThatThrownBy(() -> received().forwarded()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> received().admitted(null, null)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> parsed().parsed(null, null, null, null, null)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> admitted().replayed()).isInstanceOf(IllegalStateException.class);
        Exchange settled = admitted();
        settled.settling();
        assertThatThrownBy(settled::forwarded).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void nothingSettlesForACallThatWasNeverAdmitted() {
        Exchange refused = parsed();
        refused.ended(true);
        assertThat(refused.state()).isEqualTo(State.REFUSED);
        assertThat(refused.settling()).isFalse();
        assertThat(refused.settled().succeeded()).as("nothing to wait for").isTrue();

        Exchange replayed = parsed();
        replayed.replayed();
        assertThat(replayed.state()).isEqualTo(State.REPLAYED);
        assertThat(replayed.outcome()).isEqualTo("replayed");
        assertThat(replayed.settling()).isFalse();

        Exchange failed = received();
        failed.ended(false);
        assertThat(failed.state()).isEqualTo(State.FAILED);
    }

    @Test
    void aClientGoneBeforeAdmissionStopsTheCallAndItsLateHoldSettlesOnce() {
        Exchange x = parsed();
        x.clientGone();
        assertThat(x.state()).isEqualTo(State.CLIENT_GONE);
        assertThat(x.settling()).as("nothing held yet").isFalse();
        assertClientClosed(() -> x.admitted(null, null));
        assertThat(x.holds()).as("the hold the gate granted meanwhile").isTrue();
        assertThat(x.settling()).isTrue();
        assertThat(x.settling()).isFalse();
        assertThat(x.state()).isEqualTo(State.SETTLED);
    }

    @Test
    void aClientGoneWhileTheIdempotencyKeyIsClaimedStopsTheCallWithTheKeyKnownSoItIsFreed() {
        Exchange x = parsed();
        x.clientGone();
        assertClientClosed(() -> x.claimed("chat:caller:k-1", "a-1"));
        assertThat(x.idempotencyKey()).isEqualTo("chat:caller:k-1");
        assertThat(x.attempt()).isEqualTo("a-1");
        assertThat(x.holds()).isFalse();
    }

    @Test
    void aClientGoneDuringTheForwardingWriteIsNeverForwarded() {
        Exchange x = admitted();
        x.clientGone();
        assertClientClosed(x::forwarded);
        assertThat(x.state()).isEqualTo(State.CLIENT_GONE);
        assertThat(x.settling()).isTrue();
        assertThat(x.settling()).isFalse();
    }

    @Test
    void aClientGoneMidStreamTellsTheRelayOnceAndSettlesOnce() {
        Exchange x = admitted();
        x.forwarded();
        AtomicInteger told = new AtomicInteger();
        x.onClientGone(told::incrementAndGet);
        x.clientGone();
        x.clientGone();
        assertThat(told).hasValue(1);
        assertThat(x.clientHasGone()).isTrue();
        assertThat(x.settling()).isTrue();
        assertThat(x.settling()).isFalse();
    }

    @Test
    void aListenerAddedAfterTheClientLeftIsToldAtOnce() {
        Exchange x = admitted();
        x.clientGone();
        AtomicInteger told = new AtomicInteger();
        x.onClientGone(told::incrementAndGet);
        assertThat(told).hasValue(1);
    }

    @Test
    void twoPathsRacingToSettleSettleOnce() throws Exception {
        for (int i = 0; i < 500; i++) {
            Exchange x = admitted();
            x.forwarded();
            AtomicInteger wins = new AtomicInteger();
            CyclicBarrier start = new CyclicBarrier(2);
            Runnable racer = () -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                if (x.settling()) {
                    wins.incrementAndGet();
                }
            };
            Thread a = new Thread(racer);
            Thread b = new Thread(() -> {
                x.clientGone();
                racer.run();
            });
            a.start();
            b.start();
            a.join();
            b.join();
            assertThat(wins).hasValue(1);
        }
    }
}
