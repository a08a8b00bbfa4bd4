package dev.strata.modules;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The module map of {@code docs/architecture.md}, as data: each library module, the packages it
 * owns, the Strata modules it may depend on, and the libraries (by package and by module name)
 * it may use. {@link ArchitectureTest} holds the code to it and {@link ModuleDescriptorsTest}
 * the built descriptors; a change here is a change of the documented design, so change the doc
 * with it.
 */
final class StrataModules {

    /**
     * One library module.
     *
     * @param name JPMS module name
     * @param packages the packages it owns (each with its sub-packages)
     * @param dependsOn Strata modules it may use directly; their own dependencies come with them
     * @param libraryPackages packages of third-party libraries it may use (besides the JDK's)
     * @param libraryModules the module names of those libraries, as its descriptor requires them
     */
    record StrataModule(String name, List<String> packages, Set<String> dependsOn, List<String> libraryPackages,
                        Set<String> libraryModules) {

        String shortName() {
            return name.substring("dev.strata.".length());
        }
    }

    /** The JDK, which every module may use (sun.misc: Signal, in core reflectively and in the CLI). */
    static final List<String> JDK_PACKAGES = List.of("java..", "javax..", "jdk..", "com.sun.net.httpserver..", "sun.misc..");

    /** Core's packages, in the order of the layers, bottom first. */
    static final List<String> CORE_PACKAGES = List.of("dev.strata.internal", "dev.strata.fault", "dev.strata.call",
            "dev.strata.observe", "dev.strata.network", "dev.strata.pool", "dev.strata.jdbc", "dev.strata.ratelimit",
            "dev.strata.resilience", "dev.strata.http", "dev.strata.application", "dev.strata.diagnosis");

    static final Map<String, StrataModule> MODULES = new LinkedHashMap<>();

    static {
        add(new StrataModule("dev.strata.core", CORE_PACKAGES, Set.of(), List.of(), Set.of()));
        add(new StrataModule("dev.strata.chaos", List.of("dev.strata.chaos"), Set.of("dev.strata.core"), List.of(), Set.of()));
        add(new StrataModule("dev.strata.config", List.of("dev.strata.config"), Set.of("dev.strata.core"),
                List.of("org.snakeyaml.engine.."), Set.of("org.snakeyaml.engine")));
        add(new StrataModule("dev.strata.junit", List.of("dev.strata.junit"), Set.of("dev.strata.chaos"),
                List.of("org.junit.."), Set.of("org.junit.jupiter.api")));
        add(new StrataModule("dev.strata.doctor", List.of("dev.strata.doctor"), Set.of("dev.strata.config"), List.of(), Set.of()));
        // config is optional for redis: only its ConfigExtension (rate_limit.shared: redis) uses it.
        // Netty and SLF4J are required on Lettuce's behalf (an automatic module cannot declare them).
        add(new StrataModule("dev.strata.redis", List.of("dev.strata.redis"), Set.of("dev.strata.core", "dev.strata.config"),
                List.of("io.lettuce.."), Set.of("lettuce.core", "io.netty.handler", "io.netty.resolver.dns", "org.slf4j")));
        add(new StrataModule("dev.strata.cache", List.of("dev.strata.cache"), Set.of("dev.strata.core"),
                List.of("com.github.benmanes.caffeine.."), Set.of("com.github.benmanes.caffeine")));
        add(new StrataModule("dev.strata.micrometer", List.of("dev.strata.micrometer"), Set.of("dev.strata.core"),
                List.of("io.micrometer.."), Set.of("micrometer.core")));
        add(new StrataModule("dev.strata.opentelemetry", List.of("dev.strata.opentelemetry"), Set.of("dev.strata.core"),
                List.of("io.opentelemetry.."), Set.of("io.opentelemetry.api", "io.opentelemetry.context")));
        add(new StrataModule("dev.strata.dashboard", List.of("dev.strata.dashboard"),
                Set.of("dev.strata.core", "dev.strata.micrometer"), List.of("io.micrometer.."), Set.of("micrometer.core")));
        // Embedded PostgreSQL's libraries are required on its behalf (it is an automatic module).
        add(new StrataModule("dev.strata.shop", List.of("dev.strata.shop"),
                Set.of("dev.strata.config", "dev.strata.chaos", "dev.strata.micrometer", "dev.strata.dashboard"),
                List.of("io.micrometer..", "io.zonky.test.db.."), Set.of("micrometer.registry.prometheus", "embedded.postgres",
                        "org.apache.commons.compress", "org.apache.commons.io", "org.apache.commons.lang3", "org.tukaani.xz",
                        "org.slf4j")));
        // Spring's jars are automatic modules with declared names; all but its core are optional.
        add(new StrataModule("dev.strata.spring", List.of("dev.strata.spring"),
                Set.of("dev.strata.config", "dev.strata.micrometer", "dev.strata.opentelemetry"),
                List.of("org.springframework..", "org.aopalliance..", "io.micrometer..", "io.opentelemetry..", "org.slf4j.."),
                Set.of("spring.boot", "spring.boot.autoconfigure", "spring.beans", "spring.context", "spring.core", "spring.aop",
                        "spring.web", "spring.boot.restclient", "spring.boot.jdbc", "spring.boot.actuator",
                        "spring.boot.actuator.autoconfigure", "spring.boot.health", "spring.boot.micrometer.metrics",
                        "micrometer.core", "io.opentelemetry.api", "context.propagation", "org.slf4j")));
        add(new StrataModule("dev.strata.cli", List.of("dev.strata.cli"),
                Set.of("dev.strata.shop", "dev.strata.doctor", "dev.strata.chaos"),
                List.of("picocli..", "org.snakeyaml.engine.."), Set.of("info.picocli", "org.snakeyaml.engine")));
    }

    /**
     * Which Strata modules may use each not-API package of core: the qualified exports of core's
     * module-info, exactly. {@code dev.strata.call.internal} and {@code dev.strata.jdbc.internal}
     * are used by core alone.
     */
    static final Map<String, Set<String>> CORE_INTERNALS = Map.of(
            "dev.strata.internal", Set.of("dev.strata.chaos", "dev.strata.config", "dev.strata.dashboard",
                    "dev.strata.doctor", "dev.strata.junit", "dev.strata.shop"),
            "dev.strata.resilience.internal", Set.of("dev.strata.redis"));

    private StrataModules() {
    }

    private static void add(StrataModule module) {
        MODULES.put(module.name(), module);
    }

    static StrataModule module(String name) {
        StrataModule module = MODULES.get(name);
        if (module == null) {
            throw new IllegalArgumentException("no Strata module " + name + "; known: " + MODULES.keySet());
        }
        return module;
    }

    /** The Strata modules {@code name} may use: its dependencies and theirs, not itself. */
    static Set<String> closure(String name) {
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(module(name).dependsOn());
        while (!todo.isEmpty()) {
            String next = todo.pop();
            if (seen.add(next)) {
                todo.addAll(module(next).dependsOn());
            }
        }
        return seen;
    }

    /** Whether {@code pkg} is one of the {@code .internal} packages (not API). */
    static boolean isInternal(String pkg) {
        return pkg.equals("dev.strata.internal") || pkg.endsWith(".internal");
    }
}
