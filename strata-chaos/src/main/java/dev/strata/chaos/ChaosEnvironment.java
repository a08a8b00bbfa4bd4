package dev.strata.chaos;

import dev.strata.fault.FaultKind;
import dev.strata.internal.Require;
import java.time.Duration;
import java.util.Map;

/**
 * Reads {@code STRATA_CHAOS_*} variables into a {@link FaultInjection.Builder}, so a drill needs
 * no code change; {@link FaultInjection#fromEnvironment(Map)} documents the variables. Every
 * error names the variable, because whoever reads it set the variable, not the code.
 */
final class ChaosEnvironment {

    private static final String PREFIX = "STRATA_CHAOS_";

    private ChaosEnvironment() {
    }

    static FaultInjection.Builder read(Map<String, String> environment) {
        FaultInjection.Builder builder = FaultInjection.builder();
        for (Map.Entry<String, String> entry : environment.entrySet()) {
            String key = entry.getKey();
            if (!key.startsWith(PREFIX)) {
                continue;
            }
            String value = entry.getValue().trim();
            String rest = key.substring(PREFIX.length());
            switch (rest) {
                case "ENABLED" -> builder.enabled(parseBoolean(key, value));
                case "SEED" -> builder.seed(parseLong(key, value));
                case "DEPENDENCIES" -> {
                    for (String name : value.split(",")) {
                        if (!name.isBlank()) {
                            builder.onlyDependencyKey(FaultInjection.normalise(name.trim()));
                        }
                    }
                }
                default -> {
                    Setting setting = Setting.match(rest);
                    if (setting == null) {
                        throw new IllegalArgumentException(key + ": not a known chaos variable; expected STRATA_CHAOS_"
                                + "[<DEPENDENCY>_](ENABLED|FAILURE_RATE|FAULT|LATENCY_MS|LATENCY_RATE), SEED or DEPENDENCIES");
                    }
                    String dependency = rest.substring(0, rest.length() - setting.suffix.length());
                    FaultInjection.RuleBuilder rule = dependency.isEmpty() ? builder.defaultRule()
                            : builder.ruleForKey(dependency.substring(0, dependency.length() - 1));
                    if (dependency.isEmpty() && setting == Setting.ENABLED) {
                        builder.enabled(parseBoolean(key, value));
                    } else {
                        setting.apply(key, value, rule);
                    }
                }
            }
        }
        return builder;
    }

    /** The per-rule settings, by variable suffix. */
    private enum Setting {
        FAILURE_RATE("FAILURE_RATE"),
        FAULT("FAULT"),
        LATENCY_MS("LATENCY_MS"),
        LATENCY_RATE("LATENCY_RATE"),
        ENABLED("ENABLED");

        final String suffix;

        Setting(String suffix) {
            this.suffix = suffix;
        }

        static Setting match(String rest) {
            for (Setting setting : values()) {
                if (rest.equals(setting.suffix) || rest.endsWith("_" + setting.suffix)) {
                    return setting;
                }
            }
            return null;
        }

        void apply(String key, String value, FaultInjection.RuleBuilder rule) {
            switch (this) {
                case FAILURE_RATE -> rule.failures(parseRate(key, value));
                case FAULT -> rule.faultKind(parseKind(key, value));
                case LATENCY_MS -> {
                    int dash = value.indexOf('-');
                    long min = parseLong(key, dash < 0 ? value : value.substring(0, dash).trim());
                    long max = dash < 0 ? min : parseLong(key, value.substring(dash + 1).trim());
                    if (min < 0 || max < min || max > 3_600_000) {
                        throw new IllegalArgumentException(key + ": '" + value + "' is out of range; allowed 0..3600000 ms, as N or MIN-MAX");
                    }
                    rule.latency(Duration.ofMillis(min), Duration.ofMillis(max));
                }
                case LATENCY_RATE -> rule.latencyRate(parseRate(key, value));
                case ENABLED -> rule.active(parseBoolean(key, value));
            }
        }
    }

    private static double parseRate(String key, String value) {
        try {
            return Require.between(key, Double.parseDouble(value), 0.0, 1.0);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": '" + value + "' is not a number; allowed 0..1");
        }
    }

    private static long parseLong(String key, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": '" + value + "' is not a whole number");
        }
    }

    private static boolean parseBoolean(String key, String value) {
        if (value.equalsIgnoreCase("true") || value.equals("1")) {
            return true;
        }
        if (value.equalsIgnoreCase("false") || value.equals("0") || value.isEmpty()) {
            return false;
        }
        throw new IllegalArgumentException(key + ": '" + value + "' is not allowed; allowed true, false");
    }

    private static FaultKind parseKind(String key, String value) {
        for (FaultKind kind : FaultKind.values()) {
            if (kind.name().equalsIgnoreCase(value) || kind.code().equalsIgnoreCase(value)
                    || kind.qualifiedName().equalsIgnoreCase(value)) {
                return kind;
            }
        }
        throw new IllegalArgumentException(key + ": '" + value + "' is not a fault kind; allowed e.g. injected, connection-reset, "
                + "read-timeout, server-error (any FaultKind name or code)");
    }
}
