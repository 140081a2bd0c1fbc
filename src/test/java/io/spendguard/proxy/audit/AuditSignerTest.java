package io.spendguard.proxy.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The signing key file: created once, private, and the same key for everyone who starts at once. */
class AuditSignerTest {
    @TempDir
    Path dir;

    @Test
    void processesStartingAtOnceAllGetTheOneKeyWrittenWholeAndPrivate() throws Exception {
        for (int round = 0; round < 20; round++) {
            Path file = dir.resolve("round-" + round + "/audit.key");
            int starters = 8;
            CyclicBarrier together = new CyclicBarrier(starters);
            ExecutorService pool = Executors.newFixedThreadPool(starters);
            try {
                List<Future<String>> ids = new ArrayList<>();
                for (int i = 0; i < starters; i++) {
                    Callable<String> start = () -> {
                        together.await(10, TimeUnit.SECONDS);
                        return AuditSigner.load(file).keyId();
                    };
                    ids.add(pool.submit(start));
                }
                String first = ids.get(0).get(30, TimeUnit.SECONDS);
                for (Future<String> id : ids) {
                    assertThat(id.get(30, TimeUnit.SECONDS)).isEqualTo(first);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(AuditSigner.load(file).keyId()).isEqualTo(AuditSigner.keyId(AuditSigner.readPublic(file)));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            try (var left = Files.list(file.getParent())) {
                assertThat(left).as("no temporary key file is left behind").containsExactly(file);
            }
        }
    }

    @Test
    void signaturesVerifyWithTheKeyAndNotWithAnother() {
        AuditSigner signer = AuditSigner.ephemeral();
        byte[] hash = Canonical.sha256("record");
        String signature = signer.sign(hash);
        assertThat(AuditSigner.verify(signer.publicKey(), hash, signature)).isTrue();
        assertThat(AuditSigner.verify(AuditSigner.ephemeral().publicKey(), hash, signature)).isFalse();
        assertThat(AuditSigner.verify(signer.publicKey(), Canonical.sha256("other"), signature)).isFalse();
    }
}
