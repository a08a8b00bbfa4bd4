package dev.strata.spring;

import dev.strata.application.Strata;
import dev.strata.config.ConfigValues;
import dev.strata.config.LoadedConfig;
import dev.strata.jdbc.StrataDataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;

/**
 * Loads the configuration while bean definitions are read (so a bad {@code strata.*} key stops
 * the context before anything is created) and registers one {@link StrataDataSource} bean per JDBC
 * dependency, named {@code <dependency>DataSource} in camel case, the primary one {@code @Primary}.
 * Registered before Spring Boot's {@code DataSourceAutoConfiguration}, whose pooled data source
 * (HikariCP) then backs off: there is no second pool beside Strata's. Each depends on the
 * {@link StrataLifecycle} bean, so the beans that use it are destroyed before the runtime closes
 * its pools. Not an API: public only because the public auto-configuration imports it.
 */
public final class StrataBeanRegistrar implements ImportBeanDefinitionRegistrar, EnvironmentAware {

    static final String CONFIG_BEAN = "strataLoadedConfig";
    /** {@link StrataAutoConfiguration#strataLifecycle}'s bean, which shuts the runtime down when destroyed. */
    static final String LIFECYCLE_BEAN = "strataLifecycle";

    private ConfigurableEnvironment environment;

    /**
     * Created by Spring for {@code @Import} on {@link StrataAutoConfiguration}; the class is public
     * only so that annotation may name it from an exported package, not to be used directly.
     */
    StrataBeanRegistrar() {
    }

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = (ConfigurableEnvironment) environment;
    }

    @Override
    public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
        if (registry.containsBeanDefinition(CONFIG_BEAN)) {
            return;
        }
        LoadedConfig loaded = SpringConfigSource.load(environment);
        registry.registerBeanDefinition(CONFIG_BEAN, new RootBeanDefinition(LoadedConfig.class, () -> loaded));

        List<String> jdbc = new ArrayList<>();
        for (Map.Entry<String, ConfigValues> d : loaded.dependencies().entrySet()) {
            if (d.getValue().find("jdbc.url", String.class).isPresent()) {
                jdbc.add(d.getKey());
            }
        }
        String primary = primary(StrataSpringSettings.of(environment), jdbc);
        BeanFactory beans = (BeanFactory) registry;
        for (String name : jdbc) {
            RootBeanDefinition definition = new RootBeanDefinition(StrataDataSource.class,
                    () -> beans.getBean(Strata.class).dependency(name).dataSource());
            definition.setPrimary(name.equals(primary));
            definition.setDestroyMethodName(""); // the runtime owns and closes its pools, after in-flight work
            // ... when the lifecycle bean is destroyed, which Spring does only after the beans using this one
            definition.setDependsOn(LIFECYCLE_BEAN);
            definition.setDescription("Strata dependency '" + name + "'");
            registry.registerBeanDefinition(beanName(name), definition);
        }
    }

    private static String primary(StrataSpringSettings settings, List<String> jdbc) {
        if (settings.primaryDataSource().isPresent()) {
            String named = settings.primaryDataSource().get();
            if (!jdbc.contains(named)) {
                throw new IllegalStateException("strata.spring.primary-datasource: '" + named
                        + "' is no dependency with jdbc.url; allowed: " + (jdbc.isEmpty() ? "(none configured)" : jdbc));
            }
            return named;
        }
        return jdbc.isEmpty() ? null : jdbc.get(0);
    }

    /** {@code orders-db} becomes {@code ordersDbDataSource}. */
    static String beanName(String dependency) {
        StringBuilder s = new StringBuilder();
        boolean upper = false;
        for (char c : dependency.toCharArray()) {
            if (c == '-' || c == '_') {
                upper = s.length() > 0;
            } else {
                s.append(upper ? Character.toUpperCase(c) : s.length() == 0 ? Character.toLowerCase(c) : c);
                upper = false;
            }
        }
        return s.isEmpty() ? "strataDataSource" : s + "DataSource";
    }
}
