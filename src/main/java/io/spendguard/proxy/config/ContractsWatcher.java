package io.spendguard.proxy.config;

import io.spendguard.proxy.engine.Contracts;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The contracts in force, reloaded when their file changes. {@link #start} loads the file (start-up
 * fails if it is invalid); then every {@code pollMs} the file is read again — asynchronously, and
 * compiled on a worker, never on an event loop — and when its bytes changed the new rules replace the
 * old at once. A change that does not load (bad YAML, a CEL error, a missing file) keeps the old rules,
 * is logged and counted in {@code spendguard_contract_reloads_total{result="error"}}. Comparing bytes
 * rather than modification times catches two writes within one second and Kubernetes' symlink swaps.
 * Without a file there are no rules.
 *
 * <p>Before a loaded set goes into force — at start and on every reload — the budgets it declares
 * ({@code spec.budgets}) are provisioned by the function given to {@link #start(Function)}, so a rule
 * never names a budget that is not there yet. If that fails (the ledger is down), start-up fails, or
 * a reload keeps the previous rules and is tried again at the next poll.
 */
public final class ContractsWatcher implements Supplier<Contracts> {
    /** How often the file is checked by default. */
    public static final long DEFAULT_POLL_MS = 1_000;
    private static final Logger LOG = Logger.getLogger(ContractsWatcher.class.getName());

    private final Vertx vertx;
    private final Path file;
    private final ProxyMetrics metrics;
    private final long pollMs;
    private volatile Function<Contracts, Future<Void>> provision = c -> Future.succeededFuture();
    private volatile Contracts current;
    /** The bytes last compiled, good or bad: unchanged bytes are not compiled (or counted) again. */
    private volatile Buffer seenBytes;
    private volatile String lastFailure;
    private volatile long timer = -1;
    private volatile boolean checking;

    /** Watches {@code file} (null: no contracts). */
    public ContractsWatcher(Vertx vertx, Path file, ProxyMetrics metrics, long pollMs) {
        this.vertx = vertx;
        this.file = file;
        this.metrics = metrics;
        this.pollMs = pollMs;
        this.current = file == null ? Contracts.NONE : null;
    }

    /** The rules in force; fails (so the gate fails closed) if called before the first load. */
    @Override
    public Contracts get() {
        Contracts c = current;
        if (c == null) {
            throw new IllegalStateException("contracts not loaded yet");
        }
        return c;
    }

    /** Loads the file and starts watching it; a failed future with a {@link ConfigException} if it is invalid. */
    public Future<Void> start() {
        return start(c -> Future.succeededFuture());
    }

    /**
     * As {@link #start()}, with {@code provision} run on every loaded set before it goes into force:
     * it creates the budgets the file declares.
     */
    public Future<Void> start(Function<Contracts, Future<Void>> provision) {
        this.provision = provision;
        if (file == null) {
            return Future.succeededFuture();
        }
        return read().compose(bytes -> load(bytes).map(c -> {
            seenBytes = bytes;
            current = c;
            LOG.info("contracts: " + summary(c));
            timer = vertx.setPeriodic(pollMs, id -> check());
            return null;
        }));
    }

    /** Stops watching. */
    public void close() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    private void check() {
        if (checking) {
            return;
        }
        checking = true;
        read().compose(bytes -> {
            if (bytes.equals(seenBytes)) {
                return Future.succeededFuture();
            }
            Buffer previous = seenBytes;
            seenBytes = bytes;
            return compile(bytes).compose(c -> provisioned(c).recover(e -> {
                seenBytes = previous; // the file is fine, the ledger was not: try again at the next poll
                return Future.failedFuture(e);
            })).map(c -> {
                current = c;
                lastFailure = null;
                metrics.contractReload("ok");
                LOG.info("contracts reloaded: " + summary(c));
                return null;
            });
        }).onFailure(e -> {
            // a file that stays broken (or missing) is reported once, not on every poll
            if (!e.getMessage().equals(lastFailure)) {
                lastFailure = e.getMessage();
                metrics.contractReload("error");
                LOG.warning("contracts: reload of " + file + " failed, keeping the previous rules: " + e.getMessage());
            }
        }).onComplete(ar -> checking = false);
    }

    private Future<Buffer> read() {
        return vertx.fileSystem().readFile(file.toString()).recover(e -> Future.failedFuture(
                new ConfigException("contracts: " + file + ": cannot read (" + e.getMessage() + ")", e)));
    }

    private static String summary(Contracts c) {
        return c.rules().size() + " rule(s)" + (c.budgets().isEmpty() ? "" : " and " + c.budgets().size() + " budget(s)") + " from "
                + c.source();
    }

    /** Compiles {@code bytes} and provisions the budgets they declare. */
    private Future<Contracts> load(Buffer bytes) {
        return compile(bytes).compose(this::provisioned);
    }

    private Future<Contracts> provisioned(Contracts c) {
        return provision.apply(c).map(v -> c).recover(e -> Future.failedFuture(new ConfigException("contracts: " + file
                + ": cannot provision the budgets of spec.budgets (" + e.getMessage() + ")", e)));
    }

    private Future<Contracts> compile(Buffer bytes) {
        return vertx.executeBlocking(() -> ContractsLoader.parse(bytes.toString(java.nio.charset.StandardCharsets.UTF_8),
                file.toString(), System::getenv), false);
    }
}
