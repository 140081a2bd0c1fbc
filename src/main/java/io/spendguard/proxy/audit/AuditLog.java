package io.spendguard.proxy.audit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The audit chain kept beside a ledger (durable where the ledger is). Ledger changes write their
 * records in the ledger's own transaction; {@link #append} records what changes no ledger row
 * (a refusal by rule, an approval resolved, a virtual key created). Records are read in sequence
 * order.
 */
public interface AuditLog {
    /** Largest page {@link #read} returns. */
    int MAX_PAGE = 1000;

    /** Records {@code event} in a transaction of its own; completes once it is stored. */
    Future<Void> append(AuditEvent event);

    /** Up to {@code query.limit()} records matching the query, in sequence order. */
    Future<List<AuditRecord>> read(Query query);

    /** The chain whose records this log writes: signer and trusted keys. */
    AuditChain chain();

    /**
     * Where verification starts: {@link AuditChain#GENESIS}, unless this log keeps only its most
     * recent records (the memory ledger), in which case it is the head just before the oldest kept one.
     */
    default Future<AuditChain.Head> start() {
        return Future.succeededFuture(AuditChain.GENESIS);
    }

    /**
     * Records with {@code seq > afterSeq}, of budget {@code budgetId} (null: all), written at or after
     * {@code since} (null: any time), at most {@code limit} (1 … {@value #MAX_PAGE}).
     */
    record Query(String budgetId, long afterSeq, Instant since, int limit) {
        public Query {
            if (limit < 1 || limit > MAX_PAGE) {
                throw new IllegalArgumentException("limit: " + limit + " (expected: 1 to " + MAX_PAGE + ")");
            }
        }

        /** The next page of the whole chain after {@code afterSeq}. */
        public static Query all(long afterSeq) {
            return new Query(null, afterSeq, null, MAX_PAGE);
        }
    }

    /** Signs what this process wrote and has not signed yet (a durable ledger signs just after its commits). */
    default Future<Void> seal() {
        return Future.succeededFuture();
    }

    /**
     * Signs what is pending here, then recomputes the whole chain, page by page, against the chain's
     * trusted keys, on the calling thread (tests, small chains).
     */
    default Future<AuditVerifier.Result> verify() {
        return verify(check -> Future.succeededFuture(check.get()));
    }

    /**
     * {@link #verify} with each page's hashing and signature checks on a worker thread — a signature
     * check costs about a millisecond, too much for an event loop over a long chain — and once more a
     * second later if all it found was a tail of unsigned records (another process sharing the ledger
     * may have written them a moment ago and not signed them yet).
     */
    default Future<AuditVerifier.Result> verifySettled(Vertx vertx) {
        Function<Supplier<Boolean>, Future<Boolean>> onWorker = check -> vertx.executeBlocking(check::get, true);
        return verify(onWorker).compose(first -> {
            if (!first.onlyUnsigned()) {
                return Future.succeededFuture(first);
            }
            Promise<AuditVerifier.Result> again = Promise.promise();
            vertx.setTimer(1000, id -> verify(onWorker).onComplete(again));
            return again.future();
        });
    }

    /** Seals, then feeds every page to a verifier through {@code run}, which runs a page's checks (true: go on). */
    private Future<AuditVerifier.Result> verify(Function<Supplier<Boolean>, Future<Boolean>> run) {
        return seal().compose(v -> start()).compose(start -> {
            AuditVerifier verifier = new AuditVerifier(chain().trusted(), start);
            Promise<AuditVerifier.Result> done = Promise.promise();
            page(verifier, start.seq(), run, done);
            return done.future();
        });
    }

    private void page(AuditVerifier verifier, long after, Function<Supplier<Boolean>, Future<Boolean>> run,
                      Promise<AuditVerifier.Result> done) {
        read(Query.all(after)).compose(records -> run.apply(() -> {
            for (AuditRecord r : records) {
                if (!verifier.accept(r)) {
                    return false;
                }
            }
            return records.size() == MAX_PAGE;
        }).map(more -> more ? records.get(records.size() - 1).seq() : -1L)).onFailure(done::fail).onSuccess(next -> {
            if (next < 0) {
                done.complete(verifier.result());
            } else {
                page(verifier, next, run, done);
            }
        });
    }
}
