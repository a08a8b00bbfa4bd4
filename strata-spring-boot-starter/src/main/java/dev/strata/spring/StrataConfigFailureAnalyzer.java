package dev.strata.spring;

import dev.strata.config.ConfigException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Prints a failed start caused by the Strata configuration as Strata's own report (each problem with
 * file:line:column, key, value and what is allowed or the key it probably meant) instead of a
 * bean-creation stack trace.
 */
public final class StrataConfigFailureAnalyzer extends AbstractFailureAnalyzer<ConfigException> {

    /** Instantiated by Spring Boot from {@code META-INF/spring.factories}. */
    public StrataConfigFailureAnalyzer() {
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, ConfigException cause) {
        return new FailureAnalysis(cause.getMessage(),
                "Fix the strata.* keys listed above (in application.yml / application.properties, or in strata.config-file);"
                        + " docs/config.md lists every key.", cause);
    }
}
