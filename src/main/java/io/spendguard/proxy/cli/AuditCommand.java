package io.spendguard.proxy.cli;

import io.spendguard.proxy.Engines;
import io.spendguard.proxy.config.ConfigException;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.LedgerKind;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.audit.AuditLog;
import io.spendguard.proxy.audit.AuditRecord;
import io.spendguard.proxy.audit.AuditSigner;
import io.spendguard.proxy.audit.AuditVerifier;
import io.spendguard.proxy.audit.CloudEvents;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code audit verify --config FILE}: recomputes the configured ledger's audit chain and its
 * signatures; prints the head, or the first bad record and why; exit 0 when intact, 1 when not.
 * {@code audit export --config FILE [--out PATH] [--since SEQ]}: writes the records after
 * {@code SEQ} as CloudEvents JSON lines (to stdout without {@code --out}).
 * {@code audit keygen --out PATH}: creates a signing key file (0600) to hand to every replica of a
 * shared ledger, e.g. as a Kubernetes Secret, and prints its key id and public key.
 */
@Command(name = "audit", mixinStandardHelpOptions = true, versionProvider = SpendGuardCli.Version.class,
        synopsisSubcommandLabel = "COMMAND",
        description = "Works on the tamper-evident audit chain of a SQLite or PostgreSQL ledger (a memory ledger's "
                + "chain lives in its process: GET /v1/audit/verify on its admin API).",
        commandListHeading = "%nCommands:%n",
        subcommands = {AuditCommand.Verify.class, AuditCommand.Export.class, AuditCommand.Keygen.class, HelpCommand.class})
public final class AuditCommand implements Runnable {
    private static final long TIMEOUT_MINUTES = 60;

    @Spec
    private CommandSpec spec;

    /** No subcommand given: a usage error. */
    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing required command: verify, export or keygen");
    }

    /** {@code audit verify}: the chain recomputed, its head or its first bad record printed. */
    @Command(name = "verify", mixinStandardHelpOptions = true, versionProvider = SpendGuardCli.Version.class,
            description = "Recomputes the configured ledger's audit chain and every signature; prints the head, or the "
                    + "first bad record and why.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:the chain is intact", "1:it is not (or it cannot be read)", "2:usage error"})
    static final class Verify implements Callable<Integer> {
        @Spec
        private CommandSpec spec;
        @Mixin
        private ConfigFile config;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            return withLedger(config.location(), (vertx, ledger) -> {
                AuditVerifier.Result result = ledger.audit().verifySettled(vertx).await(TIMEOUT_MINUTES, TimeUnit.MINUTES);
                out.println(result.describe());
                return result.ok() ? 0 : 1;
            });
        }
    }

    /** {@code audit export}: the records as CloudEvents JSON lines. */
    @Command(name = "export", mixinStandardHelpOptions = true, versionProvider = SpendGuardCli.Version.class,
            description = "Writes the configured ledger's audit records as CloudEvents 1.0 JSON lines, one per record, "
                    + "to stdout or a file.")
    static final class Export implements Callable<Integer> {
        @Spec
        private CommandSpec spec;
        @Mixin
        private ConfigFile config;
        @Option(names = "--out", paramLabel = "PATH", description = "the file to write; default: stdout")
        private Path file;
        @Option(names = "--since", paramLabel = "SEQ", defaultValue = "0",
                description = "only the records after this sequence number; default: ${DEFAULT-VALUE} (all)")
        private long since;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            return withLedger(config.location(), (vertx, ledger) -> {
                if (file == null) {
                    export(ledger.audit(), since, out).await(TIMEOUT_MINUTES, TimeUnit.MINUTES);
                    out.flush();
                    return 0;
                }
                try (PrintWriter print = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8))) {
                    long n = export(ledger.audit(), since, print).await(TIMEOUT_MINUTES, TimeUnit.MINUTES);
                    if (print.checkError()) {
                        throw new IOException("audit export: cannot write " + file);
                    }
                    out.println("exported " + n + " audit records to " + file);
                }
                return 0;
            });
        }
    }

    /** {@code audit keygen}: a new signing key file, never over an existing one. */
    @Command(name = "keygen", mixinStandardHelpOptions = true, versionProvider = SpendGuardCli.Version.class,
            description = {"Creates a new audit signing key file (mode 0600) to hand to every replica sharing a ledger, "
                    + "e.g. as a Kubernetes Secret; prints its key id and public key.", "An existing file is never overwritten."})
    static final class Keygen implements Callable<Integer> {
        @Spec
        private CommandSpec spec;
        @Option(names = "--out", paramLabel = "PATH", required = true, description = "the key file to create")
        private Path file;

        @Override
        public Integer call() {
            if (Files.exists(file)) {
                throw new ConfigException("audit keygen: " + file + " exists (expected: a new file; keys are never overwritten)");
            }
            AuditSigner signer = AuditSigner.load(file);
            PrintWriter out = spec.commandLine().getOut();
            out.println("key id " + signer.keyId() + " written to " + file + " (mode 0600); public key:");
            out.print(signer.publicPem());
            out.flush();
            return 0;
        }
    }

    /** What a subcommand does with the open ledger; its exit code. */
    private interface LedgerWork {
        int apply(Vertx vertx, Ledger ledger) throws Exception;
    }

    /** Opens the configured (persistent) ledger, runs {@code work}, closes it; the exit code. */
    private static int withLedger(String location, LedgerWork work) throws Exception {
        ProxyConfig config = ConfigLoader.load(location, System::getenv);
        if (config.ledger().kind() == LedgerKind.MEMORY) {
            throw new ConfigException("ledger.kind: memory keeps its audit chain inside the running process "
                    + "(use GET /v1/audit/verify on its admin API)");
        }
        Vertx vertx = Vertx.vertx();
        try {
            Ledger ledger = Engines.open(vertx, config, Clock.systemUTC()).await(30, TimeUnit.SECONDS);
            try {
                return work.apply(vertx, ledger);
            } finally {
                ledger.close().await(30, TimeUnit.SECONDS);
            }
        } finally {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }

    /** Writes every record after {@code since}, page by page; the number written. */
    private static Future<Long> export(AuditLog audit, long since, PrintWriter out) {
        Promise<Long> done = Promise.promise();
        page(audit, since, out, 0, done);
        return done.future();
    }

    private static void page(AuditLog audit, long after, PrintWriter out, long written, Promise<Long> done) {
        audit.read(AuditLog.Query.all(after)).onFailure(done::fail).onSuccess(records -> {
            for (AuditRecord r : records) {
                out.println(CloudEvents.of(r).encode());
            }
            long total = written + records.size();
            if (records.size() < AuditLog.MAX_PAGE) {
                done.complete(total);
            } else {
                page(audit, records.get(records.size() - 1).seq(), out, total, done);
            }
        });
    }
}
