package io.spendguard.proxy;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A bare HTTP/1.1 client that can walk away mid-reply, as a crashed or cancelled agent does. */
final class RawClient {
    private RawClient() { }

    /**
     * Sends a chat completion, reads until {@code marker} has been seen {@code times} times (or, with
     * times 0, waits {@code waitMs}), then closes the socket. Returns what it read.
     */
    static String sendAndHangUp(int port, String body, String extraHeaders, String marker, int times, long waitMs) throws Exception {
        return sendAndHangUp(port, "/v1/chat/completions", "Authorization: Bearer sk-client-secret-1234\r\n" + extraHeaders, body,
                marker, times, waitMs);
    }

    /** As above, to any route: {@code headers} carry the client's key and any extra header lines. */
    static String sendAndHangUp(int port, String path, String headers, String body, String marker, int times, long waitMs)
            throws Exception {
        byte[] payload = body.getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + headers
                    + "Content-Length: " + payload.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(payload);
            out.flush();
            if (times == 0) {
                Thread.sleep(waitMs);
                return "";
            }
            InputStream in = socket.getInputStream();
            StringBuilder seen = new StringBuilder();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
                seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                if (count(seen, marker) >= times) {
                    break;
                }
            }
            return seen.toString();
        }
    }

    private static int count(CharSequence text, String marker) {
        int c = 0;
        int i = 0;
        String s = text.toString();
        while ((i = s.indexOf(marker, i)) >= 0) {
            c++;
            i += marker.length();
        }
        return c;
    }
}
