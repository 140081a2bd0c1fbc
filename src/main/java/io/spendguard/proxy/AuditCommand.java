package io.spendguard.proxy;

import io.spendguard.proxy.config.ConfigException;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.engine.Ledger;
import io.spendguard.proxy.engine.audit.AuditLog;
import io.spendguard.proxy.engine.audit.AuditRecord;
import io.spendguard.proxy.engine.audit.AuditSigner;
import io.spendguard.proxy.engine.audit.AuditVerifier;
import io.spendguard.proxy.engine.audit.CloudEvents;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code audit verify --config FILE}: recomputes the configured ledger's audit chain and its
 * signatures; prints the head, or the first bad record and why; exit 0 when intact, 1 when not.
 * {@code audit export --config FILE [--out PATH] [--since SEQ]}: writes the records after
 * {@code SEQ} as CloudEvents JSON lines (to stdout without {@code --out}).
 * {@code audit keygen --out PATH}: creates a signing key file (0600) to hand to every replica of a
 * shared ledger, e.g. as a Kubernetes Secret, and prints its key id and public key.
 */
final class AuditCommand {
    private static final long TIMEOUT_MINUTES = 60;

    private AuditCommand() {
    }

    /** Runs the command, reporting on {@code out} (the export goes there too without {@code --out}); the exit code. */
    static int run(List<String> args, PrintStream out) throws Exception {
        if (args.isEmpty() || !List.of("verify", "export", "keygen").contains(args.get(0))) {
            throw new ConfigException("audit: expected verify, export or keygen (audit verify --config FILE | "
                    + "audit export --config FILE [--out PATH] [--since SEQ] | audit keygen --out PATH)");
        }
        List<String> rest = args.subList(1, args.size());
        if (args.get(0).equals("keygen")) {
            return keygen(rest, out);
        }
        ProxyConfig config = ConfigLoader.load(Main.option(rest, "--config", "config/spendguard.yaml"), System::getenv);
        if (config.ledger().kind().equals("memory")) {
            throw new ConfigException("ledger.kind: memory keeps its audit chain inside the running process "
                    + "(use GET /v1/audit/verify on its admin API)");
        }
        Vertx vertx = Vertx.vertx();
        try {
            Ledger ledger = Engines.open(vertx, config, Clock.systemUTC()).await(30, TimeUnit.SECONDS);
            try {
                if (args.get(0).equals("verify")) {
                    AuditVerifier.Result result = ledger.audit().verifySettled(vertx).await(TIMEOUT_MINUTES, TimeUnit.MINUTES);
                    out.println(result.describe());
                    return result.ok() ? 0 : 1;
                }
                String file = Main.option(rest, "--out", null);
                long since = Long.parseLong(Main.option(rest, "--since", "0"));
                if (file == null) {
                    export(ledger.audit(), since, out).await(TIMEOUT_MINUTES, TimeUnit.MINUTES);
                    out.flush();
                    return 0;
                }
                try (PrintStream print = new PrintStream(Files.newOutputStream(Path.of(file)), false, StandardCharsets.UTF_8)) {
                    long n = export(ledger.audit(), since, print).await(TIMEOUT_MINUTES, TimeUnit.MINUTES);
                    out.println("exported " + n + " audit records to " + file);
                }
                return 0;
            } finally {
                ledger.close().await(30, TimeUnit.SECONDS);
            }
        } finally {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }

    private static int keygen(List<String> args, PrintStream out) {
        String file = Main.option(args, "--out", null);
        if (file == null) {
            throw new ConfigException("audit keygen: --out PATH is required");
        }
        if (Files.exists(Path.of(file))) {
            throw new ConfigException("audit keygen: " + file + " exists (expected: a new file; keys are never overwritten)");
        }
        AuditSigner signer = AuditSigner.load(Path.of(file));
        out.println("key id " + signer.keyId() + " written to " + file + " (mode 0600); public key:");
        out.print(signer.publicPem());
        return 0;
    }

    /** Writes every record after {@code since}, page by page; the number written. */
    private static Future<Long> export(AuditLog audit, long since, PrintStream out) {
        Promise<Long> done = Promise.promise();
        page(audit, since, out, 0, done);
        return done.future();
    }

    private static void page(AuditLog audit, long after, PrintStream out, long written, Promise<Long> done) {
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
