package io.spendguard.proxy;

import io.spendguard.proxy.cli.SpendGuardCli;
import io.spendguard.proxy.logging.DrainSafeLogManager;

/**
 * The entry point: installs the logging set-up, then hands the arguments to {@link SpendGuardCli}
 * ({@code demo}, {@code serve}, {@code sidecar}, {@code mock-provider}, {@code audit}, {@code help};
 * {@code --help} and {@code --version} everywhere). Exits with the command's code, except when the
 * command left servers running: the process then lives until SIGTERM, which drains them.
 */
public final class Main {
    private Main() { }

    public static void main(String[] args) {
        System.setProperty("java.util.logging.manager", DrainSafeLogManager.class.getName());
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s - %5$s%6$s%n");
        SpendGuardCli cli = new SpendGuardCli();
        int exit = cli.execute(System.out, System.err, args);
        if (exit != 0 || !cli.keepsRunning()) {
            System.exit(exit);
        }
    }
}
