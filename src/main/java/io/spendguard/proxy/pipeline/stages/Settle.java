package io.spendguard.proxy.pipeline.stages;

import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.pipeline.Exchange;
import io.spendguard.proxy.pipeline.Stage;
import io.vertx.core.Future;

/**
 * The end of every call: waits until its settlement has landed at the gate (what a drain waits for).
 * The relay settles a forwarded call as its reply ends; {@link #unsettled} settles a call a stage
 * gave up on while it held a reservation, so no path leaves a hold behind.
 */
public final class Settle implements Stage {

    @Override
    public Future<Void> apply(Exchange x) {
        return x.settled();
    }

    /**
     * A stage failed with {@code failure} while the call held its reservation: a call not yet sent is
     * released ({@code client_gone_before_forward} when the client left, else {@code not_forwarded});
     * one already sent is committed at its reservation, since the provider may bill it.
     */
    public void unsettled(Exchange x, Throwable failure) {
        if (!x.holds()) {
            return;
        }
        if (x.state() == Exchange.State.FORWARDED) {
            x.settlement().reservation("relay_failed");
        } else if (x.clientHasGone() || failure instanceof ProxyException e && e.error() == ProxyError.CLIENT_CLOSED) {
            x.settlement().release("client_gone_before_forward");
        } else {
            x.settlement().release("not_forwarded");
        }
    }
}
