package io.spendguard.proxy.cli;

import io.spendguard.proxy.config.ConfigException;
import io.spendguard.proxy.logging.DrainSafeLogManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code spendguard-proxy} command line: picocli parses the arguments and runs one command, each
 * a class of this package ({@code demo}, {@code serve}, {@code sidecar}, {@code mock-provider},
 * {@code audit}). {@code --help}, {@code help [COMMAND]} and {@code --version} print and start
 * nothing (exit 0); a usage error (no or unknown command, unknown option, bad value) prints the
 * error and the usage on stderr (exit 2); a command that fails prints why on stderr (exit 1).
 * A command that starts servers returns 0 and leaves them running: {@link #keepsRunning()}.
 */
@Command(name = "spendguard-proxy", mixinStandardHelpOptions = true, versionProvider = SpendGuardCli.Version.class,
        synopsisSubcommandLabel = "COMMAND",
        description = "The spend firewall for LLM agents: every call is priced and reserved against a budget "
                + "before the provider sees it, and settled exactly once.",
        commandListHeading = "%nCommands:%n",
        subcommands = {DemoCommand.class, ServeCommand.class, SidecarCommand.class, MockProviderCommand.class,
                AuditCommand.class, HelpCommand.class},
        footer = {"", "'spendguard-proxy help COMMAND' or 'spendguard-proxy COMMAND --help' shows a command's options.",
                "Exit codes: 0 ok, 1 the command failed, 2 usage error."})
public final class SpendGuardCli implements Runnable {
    @Spec
    private CommandSpec spec;
    private boolean serving;

    /** No command given: a usage error. */
    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing required command");
    }

    /** Called by a command that left servers running; the process must then stay up. */
    void serving() {
        serving = true;
    }

    /** After {@link #execute}: whether the command left servers running (until SIGTERM), so the process must not exit. */
    public boolean keepsRunning() {
        return serving;
    }

    /**
     * Runs a process's command line: installs the logging set-up first (the drain-safe log manager,
     * one line per record), then runs the command and exits with its code, except when the command
     * left servers running: the process then lives until SIGTERM, which drains them. The jar's
     * {@code Main} starts here, and so does every child process a command spawns.
     */
    public static void main(String[] args) {
        System.setProperty("java.util.logging.manager", DrainSafeLogManager.class.getName());
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s - %5$s%6$s%n");
        SpendGuardCli cli = new SpendGuardCli();
        int exit = cli.execute(System.out, System.err, args);
        if (exit != 0 || !cli.keepsRunning()) {
            System.exit(exit);
        }
    }

    /** Runs one command line, printing to {@code out} and {@code err}; the exit code. */
    public int execute(PrintStream out, PrintStream err, String... args) {
        return new CommandLine(this)
                .setOut(writer(out))
                .setErr(writer(err))
                .setParameterExceptionHandler(SpendGuardCli::usageError)
                .setExecutionExceptionHandler(SpendGuardCli::failed)
                .execute(args);
    }

    private static PrintWriter writer(PrintStream stream) {
        return new PrintWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), true);
    }

    /** The error, any "did you mean", then the usage of the command it concerns: exit 2. */
    private static int usageError(ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        err.println("spendguard: " + e.getMessage());
        UnmatchedArgumentException.printSuggestions(e, err);
        command.usage(err, command.getColorScheme());
        err.flush();
        return command.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** A command that threw: one line naming why (no stack trace), exit 1. */
    private static int failed(Exception e, CommandLine command, ParseResult parsed) {
        PrintWriter err = command.getErr();
        err.println(e instanceof ConfigException
                ? "spendguard: invalid configuration: " + e.getMessage()
                : "spendguard: " + e.getMessage());
        err.flush();
        return command.getCommandSpec().exitCodeOnExecutionException();
    }

    /** The version Maven stamped into {@code version.properties} (or the jar's {@code pom.properties}), else "unknown". */
    public static final class Version implements IVersionProvider {
        private static final String[] SOURCES = {"version.properties", "/META-INF/maven/io.spendguard/spendguard-proxy/pom.properties"};

        @Override
        public String[] getVersion() {
            return new String[] {"spendguard-proxy " + version()};
        }

        /** This build's version, e.g. {@code 0.1.0}. */
        public static String version() {
            for (String source : SOURCES) {
                try (InputStream in = SpendGuardCli.class.getResourceAsStream(source)) {
                    if (in != null) {
                        Properties p = new Properties();
                        p.load(in);
                        String v = p.getProperty("version", "");
                        if (!v.isBlank() && !v.startsWith("${")) {
                            return v;
                        }
                    }
                } catch (IOException e) {
                    // try the next source: the version is informational
                }
            }
            return "unknown";
        }
    }
}
