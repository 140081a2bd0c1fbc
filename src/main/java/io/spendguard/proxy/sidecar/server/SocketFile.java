package io.spendguard.proxy.sidecar.server;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The socket file's life on disk (blocking file-system calls: run them off the event loop). Before
 * bind: create the parent directories and remove a stale socket left by a process that died —
 * but never a live one (another sidecar still answers on it) nor anything that is not a socket.
 * After bind: mode 0660, so only the owner and its group (the proxy, same uid or group in the pod)
 * can connect.
 */
final class SocketFile {
    private SocketFile() { }

    static void prepare(Path path) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) || Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)
                || Files.isSymbolicLink(path)) {
            throw new IOException(path + " exists and is not a socket; refusing to replace it");
        }
        if (answers(path)) {
            throw new IOException("another process is already listening on " + path);
        }
        Files.delete(path);
    }

    private static boolean answers(Path path) {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return probe.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    static void restrict(Path path) throws IOException {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
    }

    static void delete(Path path) throws IOException {
        Files.deleteIfExists(path);
    }
}
