/**
 * L4, "How do I organise?": the one {@link dev.strata.application.Strata} runtime per process,
 * which builds and owns every dependency's pipeline, pool and attachments, checks connection
 * budgets, answers health probes ({@link dev.strata.application.Health},
 * {@link dev.strata.application.HealthHandlers}) and shuts down gracefully.
 */
package dev.strata.application;
