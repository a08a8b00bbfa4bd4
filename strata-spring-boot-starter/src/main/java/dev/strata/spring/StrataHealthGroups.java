package dev.strata.spring;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;

/**
 * Puts Strata's probes into Spring Boot's {@code liveness} and {@code readiness} health groups
 * (and switches the probe groups on), as defaults of the lowest precedence: a group the
 * application defines itself is left as it is. Only when Spring Boot's health module is present
 * and {@code strata.spring.health-probes} is not {@code false}.
 */
public final class StrataHealthGroups implements EnvironmentPostProcessor {

    static final String SOURCE = "strataHealthGroups";

    /** Instantiated by Spring Boot from {@code META-INF/spring.factories}. */
    public StrataHealthGroups() {
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!ClassUtils.isPresent("org.springframework.boot.health.contributor.HealthIndicator", getClass().getClassLoader())
                || !StrataSpringSettings.of(environment).healthProbes()
                || !environment.getProperty("strata.spring.enabled", Boolean.class, true)) {
            return;
        }
        Map<String, Object> defaults = new LinkedHashMap<>();
        defaults.put("management.endpoint.health.probes.enabled", "true");
        putUnlessSet(environment, defaults, "management.endpoint.health.group.liveness.include", "livenessState,strataLiveness");
        putUnlessSet(environment, defaults, "management.endpoint.health.group.readiness.include", "readinessState,strataReadiness");
        environment.getPropertySources().addLast(new MapPropertySource(SOURCE, defaults));
    }

    private static void putUnlessSet(ConfigurableEnvironment environment, Map<String, Object> defaults, String key, String value) {
        if (!environment.containsProperty(key)) {
            defaults.put(key, value);
        }
    }
}
