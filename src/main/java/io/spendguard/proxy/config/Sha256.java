package io.spendguard.proxy.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 with one digest per thread (event loops, workers, the audit and ledger threads), so that a
 * hash on the hot path costs no security-provider look-up. Keys, request fingerprints and audit
 * records are all hashed through it.
 */
public final class Sha256 {
    private static final HexFormat HEX = HexFormat.of();
    private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    });

    private Sha256() {
    }

    /** This thread's digest, reset: {@code update} it, then {@code digest()} (which resets it again). */
    public static MessageDigest digest() {
        MessageDigest d = DIGEST.get();
        d.reset();
        return d;
    }

    /** The lowercase hex SHA-256 of {@code text}'s UTF-8 bytes. */
    public static String hex(String text) {
        return hex(digest().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** {@code bytes} as lowercase hex. */
    public static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }
}
