package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.audit.AuditLog;
import io.spendguard.proxy.audit.AuditRecord;
import io.spendguard.proxy.audit.AuditVerifier;
import io.spendguard.proxy.cli.SpendGuardCli;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.ledger.Ledger;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit tamper matrix against a durable ledger's stored chain: rows edited, deleted, reordered
 * and re-signed with a foreign key directly in the database, each found by the running ledger's
 * verification and by {@code audit verify} (exit 1, naming the first bad record).
 */
abstract class AuditTamperContract {
    @TempDir
    Path dir;
    Path configFile;
    Vertx vertx;
    Ledger ledger;

    /** The ledger section of the config (the signing key goes in {@code dir}). */
    abstract String ledgerYaml() throws Exception;

    /** Runs one SQL statement against the ledger's database, behind the ledger's back. */
    abstract void sql(String statement) throws Exception;

    /** Removes, behind the ledger's back, the signatures that cover records {@code fromSeq} and after. */
    abstract void stripSignatures(long fromSeq) throws Exception;

    /** Stores {@code record} with its signature as the ledger would, behind the ledger's back (the table is empty before the first). */
    abstract void storeSigned(AuditRecord record) throws Exception;

    /** A record's own columns, in the order {@code seq, time, type, budget_id, body, hash}, as SQL values (budget "team"). */
    static String columns(AuditRecord r) {
        return r.seq() + ", 0, '" + r.type() + "', 'team', '" + r.body().replace("'", "''") + "', '" + r.hash() + "'";
    }

    @BeforeEach
    void writeAChain() throws Exception {
        configFile = dir.resolve("spendguard.yaml");
        Files.writeString(configFile, ledgerYaml() + "\naudit: { signing_key: " + dir.resolve("keys/audit.key") + " }\n");
        ProxyConfig config = ConfigLoader.load(configFile.toString(), name -> null);
        vertx = Vertx.vertx();
        ledger = Engines.open(vertx, config, Clock.systemUTC()).await(30, TimeUnit.SECONDS);
        ledger.putBudget(new BudgetSpec("team", 10_000, "none", "UTC", null, false)).await(10, TimeUnit.SECONDS);
        for (int i = 1; i <= 5; i++) {
            String id = "res_" + i;
            ledger.reserve(new Ledger.Reservation(id, "team", 100L * i, Instant.now().plusSeconds(600), true)).await(10, TimeUnit.SECONDS);
            ledger.commit(id, 90L * i).await(10, TimeUnit.SECONDS);
            if (i == 2) {
                // Records 1-5 get a signature of their own, whatever the sealer's timing: the stripping case cuts at 6.
                ledger.audit().seal().await(10, TimeUnit.SECONDS);
            }
        }
        ledger.audit().seal().await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws Exception {
        // a skipped test (no server) opened neither
        if (ledger != null) {
            ledger.close().await(10, TimeUnit.SECONDS);
        }
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private AuditVerifier.Result verified() throws Exception {
        return ledger.audit().verify().await(30, TimeUnit.SECONDS);
    }

    /** {@code audit verify --config …}: exit code and what it printed. */
    private String cli(int expectedExit) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = new SpendGuardCli().execute(new PrintStream(out, true, StandardCharsets.UTF_8), System.err,
                "audit", "verify", "--config", configFile.toString());
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(printed).isEqualTo(expectedExit);
        return printed;
    }

    private void assertBrokenAt(long seq, String why) throws Exception {
        AuditVerifier.Result r = verified();
        assertThat(r.ok()).isFalse();
        assertThat(r.badSeq()).as(r.describe()).isEqualTo(seq);
        assertThat(r.reason()).contains(why);
        assertThat(cli(1)).contains("audit chain broken at record " + seq + ":").contains(why);
    }

    @Test
    void theIntactChainVerifiesInProcessAndFromTheCommandLine() throws Exception {
        AuditVerifier.Result r = verified();
        assertThat(r.ok()).as(r.describe()).isTrue();
        assertThat(r.records()).isEqualTo(11);
        assertThat(cli(0)).contains("audit chain ok: 11 records, head seq 11");
        assertThat(Files.getPosixFilePermissions(dir.resolve("keys/audit.key")))
                .extracting(Object::toString).containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
        String key = Files.readString(dir.resolve("keys/audit.key"));
        assertThat(ledger.audit().read(AuditLog.Query.all(0)).await(10, TimeUnit.SECONDS))
                .allSatisfy(rec -> assertThat(rec.body()).doesNotContain(key.lines().skip(1).findFirst().orElseThrow()));
    }

    @Test
    void anEditedAmountIsFound() throws Exception {
        sql("UPDATE audit SET body = replace(body, '\"committed_usd_micros\":270', '\"committed_usd_micros\":27') WHERE seq = 7");
        assertBrokenAt(7, "edited");
    }

    @Test
    void aDeletedRecordIsFound() throws Exception {
        sql("DELETE FROM audit WHERE seq = 4");
        assertBrokenAt(5, "where record 4 belongs");
    }

    @Test
    void reorderedRecordsAreFound() throws Exception {
        sql("UPDATE audit SET seq = -3 WHERE seq = 3");
        sql("UPDATE audit SET seq = 3 WHERE seq = 5");
        sql("UPDATE audit SET seq = 5 WHERE seq = -3");
        assertBrokenAt(3, "moved");
    }

    @Test
    void recordsStrippedOfTheirSignaturesAreFound() throws Exception {
        stripSignatures(6);
        assertBrokenAt(6, "carry no signature");
    }

    @Test
    void recordsAreStoredWithTheChangeAndSignedJustAfter() throws Exception {
        ledger.reserve(new Ledger.Reservation("res_late", "team", 10, Instant.now().plusSeconds(600), true)).await(10, TimeUnit.SECONDS);
        List<AuditRecord> all = ledger.audit().read(AuditLog.Query.all(0)).await(10, TimeUnit.SECONDS);
        assertThat(all).hasSize(12);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ledger.audit().read(AuditLog.Query.all(11)).await(10, TimeUnit.SECONDS).get(0).signature() == null) {
            assertThat(System.nanoTime()).as("signed within moments of its commit").isLessThan(deadline);
            Thread.sleep(5);
        }
        assertThat(verified().ok()).isTrue();
    }

    @Test
    void aChainRewrittenAndResignedWithAForeignKeyIsFound() throws Exception {
        List<AuditRecord> stored = ledger.audit().read(AuditLog.Query.all(0)).await(10, TimeUnit.SECONDS);
        List<AuditEvent> events = new ArrayList<>();
        for (AuditRecord r : stored) {
            var c = r.content();
            events.add(new AuditEvent(c.getString("type"), c.getString("budget_id"), c.getJsonObject("data").getMap()));
        }
        events.set(6, new AuditEvent(AuditEvent.COMMIT, "team", java.util.Map.of("committed_usd_micros", 1L)));
        stripSignatures(1);
        sql("DELETE FROM audit");
        for (AuditRecord r : AuditChain.ephemeral(Clock.systemUTC()).seal(AuditChain.GENESIS, events)) {
            storeSigned(r);
        }
        assertBrokenAt(1, "not trusted");
    }
}
