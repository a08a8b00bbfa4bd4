/**
 * One YAML or properties file, plus environment overrides, to a {@link dev.strata.application.Strata}
 * runtime: {@link dev.strata.config.StrataConfig} loads, {@link dev.strata.config.ConfigSchema}
 * says what is allowed (and is extended by {@link dev.strata.config.ConfigExtension}s), and every
 * error is a {@link dev.strata.config.ConfigProblem} with its file, line and column.
 */
package dev.strata.config;
