package io.spendguard.proxy;

import io.spendguard.proxy.cli.SpendGuardCli;

/**
 * The jar's entry point ({@code Main-Class}): hands the arguments to {@link SpendGuardCli#main},
 * which installs the logging set-up and runs one command ({@code demo}, {@code serve},
 * {@code sidecar}, {@code mock-provider}, {@code audit}, {@code help}; {@code --help} and
 * {@code --version} everywhere). Exits with the command's code, except when the command left
 * servers running: the process then lives until SIGTERM, which drains them.
 */
public final class Main {
    private Main() { }

    public static void main(String[] args) {
        SpendGuardCli.main(args);
    }
}
