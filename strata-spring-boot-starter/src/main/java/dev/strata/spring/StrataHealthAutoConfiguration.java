package dev.strata.spring;

import dev.strata.application.Strata;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Strata's health in Spring Boot's health endpoint (rule 6: health does not depend on dependencies).
 * <ul>
 *   <li>{@code strataLiveness} is Strata's {@code live()}: the runtime is not closed and its
 *       process-level checks pass. Never an open breaker, so a failing downstream never restarts
 *       the instance.</li>
 *   <li>{@code strataReadiness} is Strata's {@code ready()}: started, not draining, and every
 *       required pool warmed once since start. A database that never answered keeps it DOWN; a
 *       later outage or an open breaker does not take the instance out of rotation.</li>
 *   <li>{@code strata} is always UP and carries the details per dependency (breaker state and
 *       failure rate, pool, bulkhead, retry budget, last fault).</li>
 * </ul>
 * {@link StrataHealthGroups} adds the first two to the {@code liveness} and {@code readiness} groups.
 */
@AutoConfiguration(after = StrataAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(Strata.class)
public class StrataHealthAutoConfiguration {

    /** Instantiated by Spring Boot's auto-configuration. */
    public StrataHealthAutoConfiguration() {
    }

    /** Strata's liveness. */
    @Bean
    public HealthIndicator strataLiveness(Strata strata) {
        return () -> StrataHealth.probe(strata.health().live());
    }

    /** Strata's readiness. */
    @Bean
    public HealthIndicator strataReadiness(Strata strata) {
        return () -> StrataHealth.probe(strata.health().ready());
    }

    /** Per-dependency details, informational only: always UP. */
    @Bean
    public HealthIndicator strataHealthIndicator(Strata strata) {
        return () -> StrataHealth.dependencies(strata);
    }
}
