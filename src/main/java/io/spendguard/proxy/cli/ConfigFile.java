package io.spendguard.proxy.cli;

import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.ProxyConfig;
import picocli.CommandLine.Option;

/** The {@code --config FILE} option every command that reads the config file shares (a picocli mixin). */
final class ConfigFile {
    @Option(names = "--config", paramLabel = "FILE", defaultValue = "config/spendguard.yaml",
            description = "the config file (or classpath:PATH); default: ${DEFAULT-VALUE}")
    private String location;

    /** Where the file is, as given. */
    String location() {
        return location;
    }

    /** The file loaded and validated, with {@code ${VAR}} taken from the environment. */
    ProxyConfig load() {
        return ConfigLoader.load(location, System::getenv);
    }
}
