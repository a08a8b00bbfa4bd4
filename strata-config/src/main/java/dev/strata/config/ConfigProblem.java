package dev.strata.config;

/**
 * One problem in a configuration.
 *
 * @param location where the offending value is (or the closest place that could be found), never null
 * @param key the dotted key, e.g. {@code dependencies.payments.retry.attempts}
 * @param message what is wrong and what is allowed; secrets are already masked
 */
public record ConfigProblem(ConfigLocation location, String key, String message) {

    /** {@code shop.yaml:12:7: dependencies.payments.retry.attemps: unknown key, did you mean 'attempts'?} */
    @Override
    public String toString() {
        return location + ": " + key + ": " + message;
    }
}
