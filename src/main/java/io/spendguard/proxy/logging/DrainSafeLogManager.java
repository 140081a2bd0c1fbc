package io.spendguard.proxy.logging;

import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * java.util.logging resets itself (closing every handler) in a shutdown hook of its own, which runs
 * at the same time as the proxy's drain: whatever the last calls log would be lost. This manager
 * ignores that reset; {@link #resetAtExit} does it once the drain is over. Installed by
 * {@code Main} before any logger exists ({@code java.util.logging.manager}).
 */
public final class DrainSafeLogManager extends LogManager {
    private volatile boolean exiting;

    @Override
    public void reset() {
        if (exiting || !shuttingDown()) {
            super.reset();
        }
    }

    private static boolean shuttingDown() {
        try {
            Thread probe = new Thread(() -> { });
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    /** Flushes and closes the handlers; call last, after the drain. */
    public static void resetAtExit() {
        if (LogManager.getLogManager() instanceof DrainSafeLogManager m) {
            m.exiting = true;
            m.reset();
        }
    }

    /** Writes the message of each record alone on a line to standard output, off the caller's thread ({@link StdoutLines}). */
    public static StdoutLines messagesToStdout(Logger logger) {
        StdoutLines lines = new StdoutLines(System.out, 65_536);
        logger.setUseParentHandlers(false);
        logger.addHandler(lines);
        return lines;
    }
}
