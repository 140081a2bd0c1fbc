package io.spendguard.proxy.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Set;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Ed25519 key pair that signs the audit chain (the JDK's own {@code Ed25519}). Kept in one file
 * ({@code audit.signing_key}): the private key (PKCS#8) and the public key (X.509), both PEM. The
 * file is generated on first start with permissions 0600, and a file others can read is refused.
 * The key id recorded in every record is derived from the public key, so it names the key without
 * revealing anything of the private one.
 */
public final class AuditSigner {
    private static final Logger LOG = Logger.getLogger(AuditSigner.class.getName());
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private final PrivateKey privateKey;
    private final PublicKey publicKey;
    private final String keyId;

    private AuditSigner(PrivateKey privateKey, PublicKey publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
        this.keyId = keyId(publicKey);
    }

    /** A key pair that lives only as long as this process (the memory ledger's chain lives no longer). */
    public static AuditSigner ephemeral() {
        KeyPair pair = generate();
        return new AuditSigner(pair.getPrivate(), pair.getPublic());
    }

    /** Reads the key file, or creates it (0600, parent directories too) when it does not exist. */
    public static AuditSigner load(Path file) {
        try {
            if (Files.notExists(file)) {
                create(file);
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.GROUP_WRITE)
                    || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new IllegalStateException("audit.signing_key: " + file + " has permissions "
                        + PosixFilePermissions.toString(perms) + " (expected: no access for others, e.g. 0600 or 0640)");
            }
            String text = Files.readString(file, StandardCharsets.US_ASCII);
            KeyFactory factory = KeyFactory.getInstance("Ed25519");
            PrivateKey priv = factory.generatePrivate(new PKCS8EncodedKeySpec(pem(text, "PRIVATE KEY", file)));
            PublicKey pub = factory.generatePublic(new X509EncodedKeySpec(pem(text, "PUBLIC KEY", file)));
            return new AuditSigner(priv, pub);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("audit.signing_key: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The public key in a PEM file: a public key file, or a signing key file (its public half). */
    public static PublicKey readPublic(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.US_ASCII);
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(pem(text, "PUBLIC KEY", file)));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("audit: cannot read a public key from " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@code ed25519:} and the first 16 hex digits of the SHA-256 of the encoded public key's base64 text. */
    public static String keyId(PublicKey key) {
        return "ed25519:" + Canonical.sha256Hex(Base64.getEncoder().encodeToString(key.getEncoded())).substring(0, 16);
    }

    public String keyId() {
        return keyId;
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    /** The public key as a PEM block, e.g. to hand to a verifier elsewhere. */
    public String publicPem() {
        return block("PUBLIC KEY", publicKey.getEncoded());
    }

    /** Signs {@code hash} (raw bytes); base64. */
    String sign(byte[] hash) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(privateKey);
            s.update(hash);
            return Base64.getEncoder().encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("audit: signing failed: " + e.getMessage(), e);
        }
    }

    /** True when {@code signature} (base64) is {@code key}'s over {@code hash}. */
    static boolean verify(PublicKey key, byte[] hash, String signature) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(hash);
            return s.verify(Base64.getDecoder().decode(signature));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is not available in this JDK", e);
        }
    }

    /**
     * Writes a new key pair to a private temporary file beside {@code file}, then links it into place:
     * the link is atomic and fails if {@code file} exists, so a process starting at the same moment
     * (replicas sharing a volume) reads either no file or a whole one, and the first key wins.
     */
    private static void create(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        KeyPair pair = generate();
        String text = block("PRIVATE KEY", pair.getPrivate().getEncoded()) + block("PUBLIC KEY", pair.getPublic().getEncoded());
        Path temp = Files.createTempFile(parent, ".audit-key-", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(temp, text, StandardCharsets.US_ASCII);
            try {
                Files.createLink(file, temp);
            } catch (UnsupportedOperationException e) {
                Files.move(temp, file); // no hard links here: a rename that refuses an existing file
            }
            LOG.info("audit: generated signing key " + keyId(pair.getPublic()) + " in " + file);
        } catch (FileAlreadyExistsException e) {
            // another process created it first: use theirs
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static String block(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    private static byte[] pem(String text, String label, Path file) {
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(label)) {
                return Base64.getMimeDecoder().decode(m.group(2));
            }
        }
        throw new IllegalStateException("audit: " + file + " holds no " + label + " block");
    }
}
