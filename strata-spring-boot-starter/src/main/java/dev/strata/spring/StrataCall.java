package dev.strata.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated method of a Spring bean as one logical, idempotent call through a
 * dependency's pipeline ({@code strata.dependency(value).execute(...)}): its deadline, breaker,
 * retry (each retry runs the method again), timeout and bulkhead.
 *
 * <pre>{@code
 * @StrataCall(value = "payments", fallback = "cachedPrice")
 * public Price price(String sku) { ... }
 *
 * Price cachedPrice(String sku, Fallback.Cause cause) { ... }   // or cachedPrice(String sku)
 * }</pre>
 *
 * <p>Checked when the bean is created, so a mistake stops the application at startup with the
 * method named: the dependency must be configured; the fallback must be a method of the same class
 * with the same parameters (optionally followed by one {@code Fallback.Cause}) and a return type
 * the annotated method can return; and the dependency must list the fault kinds the fallback
 * answers ({@code strata.dependencies.<name>.fallback}), else it would never run.
 *
 * <p>Only calls through the Spring proxy are intercepted (not {@code this.method()} calls).
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface StrataCall {

    /** The dependency's name, as under {@code strata.dependencies}. */
    String value();

    /** The name of the fallback method in the same class; empty for none. */
    String fallback() default "";
}
