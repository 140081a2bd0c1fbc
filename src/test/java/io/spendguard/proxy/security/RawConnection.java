package io.spendguard.proxy.security;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** One blocking loopback socket that writes exactly what a test says and reports when the proxy closes it. */
final class RawConnection implements AutoCloseable {
    private final Socket socket;
    private final long opened = System.nanoTime();
    private final StringBuilder read = new StringBuilder();

    RawConnection(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setTcpNoDelay(true);
    }

    RawConnection send(String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return this;
    }

    /**
     * Reads until the proxy closes the connection (EOF or reset); fails if it is still open after
     * {@code maxMs}. Returns the milliseconds since the socket was opened.
     */
    long awaitClosed(long maxMs) throws IOException {
        socket.setSoTimeout((int) maxMs);
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                read.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the proxy kept the connection open for " + maxMs + " ms; read so far: " + read);
        } catch (SocketException e) {
            // reset by the proxy: closed too
        }
        return (System.nanoTime() - opened) / 1_000_000;
    }

    /** Reads until {@code marker} has arrived (or fails after {@code maxMs}); returns everything read so far. */
    String readUntil(String marker, long maxMs) throws IOException {
        return readUntil(marker, 1, maxMs);
    }

    /** Reads until {@code marker} has arrived {@code times} times in all (or fails after {@code maxMs} without a byte). */
    String readUntil(String marker, int times, long maxMs) throws IOException {
        socket.setSoTimeout((int) maxMs);
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[8192];
        while (read.toString().split(java.util.regex.Pattern.quote(marker), -1).length - 1 < times) {
            int n = in.read(buf);
            if (n < 0) {
                throw new AssertionError("closed before " + marker + "; read: " + read);
            }
            read.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
        }
        return read.toString();
    }

    /** Everything the proxy sent. */
    String received() {
        return read.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
