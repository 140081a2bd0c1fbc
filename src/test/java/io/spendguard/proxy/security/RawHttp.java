package io.spendguard.proxy.security;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A bare HTTP/1.1 client that writes the request target and header lines exactly as given. */
final class RawHttp {
    private RawHttp() { }

    /** One request ({@code headers}: lines joined by CRLF, no trailing CRLF); returns the whole reply. */
    static String send(int port, String method, String target, String headers, String body) throws Exception {
        return send(port, method, target, headers, body.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * As above with a body of bytes. A server may answer and close before the whole request is
     * written (a refused head): the write then fails, and whatever reply arrived is still returned.
     */
    static String send(int port, String method, String target, String headers, byte[] body) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write((method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                        + "Content-Type: application/json\r\n" + headers + "\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
            } catch (SocketException e) {
                // Refused mid-write: read what was answered.
            }
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    reply.write(buf, 0, n);
                }
            } catch (SocketException e) {
                // A reset after the reply: keep what was read.
            }
            return reply.toString(StandardCharsets.UTF_8);
        }
    }
}
