package dev.strata.spring;

import dev.strata.application.Strata;
import dev.strata.application.StrataBuilder;

/**
 * Adds what configuration cannot say (attachment factories, liveness checks, an event bus) to the
 * runtime's builder before the starter builds the one {@link Strata} bean. Declare beans of this
 * type; all are applied, in {@code @Order}.
 */
@FunctionalInterface
public interface StrataBuilderCustomizer {

    /** Changes {@code builder}; called once, before {@link StrataBuilder#build()}. */
    void customize(StrataBuilder builder);
}
