package dev.strata.doctor;

import dev.strata.config.ConfigExtension;
import dev.strata.config.ConfigKey;
import dev.strata.config.ConfigSchema;
import dev.strata.config.ValueType;
import java.time.Duration;

/**
 * Makes the facts {@code strata doctor audit} reads legal keys of the L4 configuration, so one
 * file serves the runtime and the audit: {@code expect} under each dependency (and
 * {@code defaults}), {@code service} and {@code health} at the top. The runtime binds nothing from
 * them; they are declarations about the world around the service. Registered through
 * {@code META-INF/services/dev.strata.config.ConfigExtension}.
 */
public final class AuditDeclarations implements ConfigExtension {

    /** {@code 200/s} or {@code 200}: calls per second. */
    static final ValueType<Double> RATE = ValueType.of("rate per second", text -> {
        String s = text.trim();
        s = s.endsWith("/s") ? s.substring(0, s.length() - 2).trim() : s;
        double rate = Double.parseDouble(s);
        if (rate < 0) {
            throw new IllegalArgumentException("'" + text + "' is negative; write calls per second, e.g. 200/s");
        }
        return rate;
    });

    /** For {@link java.util.ServiceLoader}, which finds this extension; see {@link ConfigExtension}. */
    public AuditDeclarations() {
    }

    @Override
    public void extend(ConfigSchema schema) {
        Duration ms = Duration.ofMillis(1);
        Duration day = Duration.ofDays(1);
        schema.dependency().section("expect", "Facts about the dependency for strata doctor audit (not used by the runtime)", s -> s
                .key(ConfigKey.of("server_idle_timeout", ValueType.DURATION, null, ms, day,
                        "The server closes idle sessions after this (PostgreSQL idle_session_timeout, MySQL wait_timeout)"))
                .key(ConfigKey.of("path_idle_timeout", ValueType.DURATION, null, ms, day,
                        "A NAT, firewall or load balancer on the path forgets idle flows after this"))
                .key(ConfigKey.of("rate", RATE, null, "Expected calls per second at peak, e.g. 200/s"))
                .key(ConfigKey.of("latency", ValueType.DURATION, null, Duration.ZERO, day,
                        "Expected time one call holds a connection"))
                .key(ConfigKey.of("idempotent", ValueType.BOOLEAN, true, "Whether repeating a call is harmless"))
                .key(ConfigKey.of("idempotency_key", ValueType.BOOLEAN, false,
                        "Whether every attempt carries an idempotency key the dependency honours"))
                .key(ConfigKey.of("fragile", ValueType.BOOLEAN, false, "Recovers slowly: probe it gently")));
        schema.root().section("service", "Facts about this service for strata doctor audit", s -> s
                .key(ConfigKey.of("timeout", ValueType.DURATION, null, ms, day,
                        "How long this service's own callers wait (gateway, load balancer)")));
        schema.root().section("health", "Which dependencies the health checks call, for strata doctor audit", s -> s
                .key(ConfigKey.of("liveness", ValueType.listOf(ValueType.STRING), null,
                        "Dependencies a liveness check calls (should be none)"))
                .key(ConfigKey.of("readiness", ValueType.listOf(ValueType.STRING), null,
                        "Dependencies a readiness check calls (the service's own database at most)")));
    }
}
