package io.spendguard.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.Engines;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.ledger.Ledger;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code audit export} (CloudEvents JSON lines), {@code audit keygen}, and what the command refuses. */
class AuditCommandTest {
    @TempDir
    Path dir;

    /** {@code audit ARGS} in-process: what it printed on stdout (on stderr when it failed). */
    private String run(int expectedExit, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] line = new String[args.length + 1];
        line[0] = "audit";
        System.arraycopy(args, 0, line, 1, args.length);
        int exit = new SpendGuardCli().execute(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), line);
        String printed = out.toString(StandardCharsets.UTF_8);
        String errors = err.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(printed + errors).isEqualTo(expectedExit);
        return expectedExit == 0 ? printed : errors;
    }

    private Path config(String ledger) throws Exception {
        Path file = dir.resolve("spendguard.yaml");
        Files.writeString(file, "ledger: " + ledger + "\n");
        return file;
    }

    @Test
    void exportsEveryRecordAsACloudEvent() throws Exception {
        Path config = config("{ kind: sqlite, path: " + dir.resolve("ledger.db") + " }");
        Vertx vertx = Vertx.vertx();
        Ledger ledger = Engines.open(vertx, ConfigLoader.load(config.toString(), name -> null), Clock.systemUTC())
                .await(30, TimeUnit.SECONDS);
        ledger.putBudget(new BudgetSpec("ops", 5_000, "none", "UTC", null, false)).await(10, TimeUnit.SECONDS);
        ledger.reserve(new Ledger.Reservation("res_1", "ops", 1_200, Instant.now().plusSeconds(60), true)).await(10, TimeUnit.SECONDS);
        ledger.commit("res_1", 900).await(10, TimeUnit.SECONDS);
        ledger.close().await(10, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
        assertThat(dir.resolve("audit-signing.key")).as("the key defaults to beside the ledger file").exists();

        Path out = dir.resolve("audit.jsonl");
        assertThat(run(0, "export", "--config", config.toString(), "--out", out.toString())).contains("exported 3 audit records");
        List<JsonObject> events = Files.readAllLines(out).stream().map(JsonObject::new).toList();
        assertThat(events).extracting(e -> e.getString("type"))
                .containsExactly("io.spendguard.audit.budget.put", "io.spendguard.audit.decision", "io.spendguard.audit.commit");
        JsonObject commit = events.get(2);
        assertThat(commit.getString("specversion")).isEqualTo("1.0");
        assertThat(commit.getString("source")).isEqualTo("/spendguard/audit");
        assertThat(commit.getString("subject")).isEqualTo("ops");
        assertThat(commit.getString("sequence")).isEqualTo("3");
        assertThat(commit.getString("id")).isEqualTo(commit.getJsonObject("data").getString("hash"));
        assertThat(commit.getJsonObject("data").getJsonObject("data").getLong("committed_usd_micros")).isEqualTo(900);
        assertThat(commit.getJsonObject("data").getString("signature")).isNotEmpty();

        String after = run(0, "export", "--config", config.toString(), "--since", "2");
        assertThat(after.lines().toList()).hasSize(1).allSatisfy(line -> assertThat(new JsonObject(line).getString("sequence")).isEqualTo("3"));
    }

    @Test
    void keygenWritesANewPrivateKeyFileAndNeverOverwritesOne() throws Exception {
        Path key = dir.resolve("keys/signing.key");
        String printed = run(0, "keygen", "--out", key.toString());
        assertThat(printed).contains("key id ed25519:").contains("-----BEGIN PUBLIC KEY-----").doesNotContain("PRIVATE");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(Files.readString(key)).contains("-----BEGIN PRIVATE KEY-----").contains("-----BEGIN PUBLIC KEY-----");
        String before = Files.readString(key);
        assertThat(run(1, "keygen", "--out", key.toString())).contains("spendguard: invalid configuration: audit keygen: ").contains("exists");
        assertThat(Files.readString(key)).isEqualTo(before);
    }

    @Test
    void refusesAKeyFileOthersCanReadAndAMemoryLedger() throws Exception {
        Path key = dir.resolve("open.key");
        run(0, "keygen", "--out", key.toString());
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        Path config = dir.resolve("open.yaml");
        Files.writeString(config, "ledger: { kind: sqlite, path: " + dir.resolve("l.db") + " }\naudit: { signing_key: " + key + " }\n");
        assertThat(run(1, "verify", "--config", config.toString())).contains("audit.signing_key").contains("rw-r--r--");

        assertThat(run(1, "verify", "--config", config("{ kind: memory }").toString()))
                .contains("spendguard: invalid configuration: ledger.kind: memory").contains("GET /v1/audit/verify");
    }

    @Test
    void anUnknownOrMissingSubcommandIsAUsageError() {
        assertThat(run(2, "rewrite")).contains("Unmatched argument at index 1: 'rewrite'").contains("Usage: spendguard-proxy audit")
                .contains("verify").contains("export").contains("keygen");
        assertThat(run(2)).contains("Missing required command: verify, export or keygen").contains("Usage: spendguard-proxy audit");
        assertThat(run(2, "keygen")).contains("Missing required option: '--out=PATH'").contains("Usage: spendguard-proxy audit keygen");
        assertThat(run(2, "export", "--since", "x")).contains("'x' is not a long");
    }
}
