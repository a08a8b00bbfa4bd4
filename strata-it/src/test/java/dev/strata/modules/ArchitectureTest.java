package dev.strata.modules;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.PackageMatchers;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.core.importer.Locations;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import com.tngtech.archunit.library.dependencies.SlicesRuleDefinition;
import dev.strata.modules.StrataModules.StrataModule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code docs/architecture.md} honest about the code: the package layering inside core, no
 * package cycles anywhere, and each module using only the modules, core internals and libraries
 * the module map allows ({@link StrataModules}). ArchUnit reads the compiled classes, so a
 * dependency counts whether it is written as an import or not.
 */
class ArchitectureTest {

    private static final JavaClasses STRATA = importStrata();

    /**
     * The main classes of every library module: what this class path holds under {@code dev.strata}
     * (less test classes), plus strata-cli's, read from its build directory because its packaged
     * jar is shaded (see this module's pom).
     */
    private static JavaClasses importStrata() {
        List<Location> locations = new ArrayList<>();
        for (Location location : Locations.ofPackage("dev.strata")) {
            String uri = location.asURI().toString();
            if (!uri.contains("/test-classes/") && !uri.contains("-tests.jar")) {
                locations.add(location);
            }
        }
        Path cli = Path.of(System.getProperty("strata.cli.classes", "../strata-cli/target/classes")).resolve("dev/strata");
        assertThat(Files.isDirectory(cli)).as("strata-cli's classes at %s (built before this module)", cli).isTrue();
        locations.add(Location.of(cli));
        return new ClassFileImporter().importLocations(locations);
    }

    @Test
    void everyModuleIsRead() {
        for (StrataModule module : StrataModules.MODULES.values()) {
            assertThat(STRATA.that(inModule(module))).as("classes of %s", module.name()).isNotEmpty();
        }
    }

    @Test
    void everyPackageBelongsToAModule() {
        List<String> orphans = STRATA.stream().map(JavaClass::getPackageName).distinct()
                .filter(pkg -> StrataModules.MODULES.values().stream().noneMatch(m -> owns(m, pkg))).sorted().toList();
        assertThat(orphans).as("packages that no module of docs/architecture.md owns").isEmpty();
    }

    /**
     * Inside core, imports point down the layers only: application -> http -> resilience -> L2
     * (jdbc -> pool; ratelimit) -> network; the vocabulary (call, fault, observe) imports none of
     * them; {@code dev.strata.internal} imports no Strata package; nobody in core imports diagnosis.
     * An {@code X.internal} package is part of layer X.
     */
    @Test
    void corePackagesImportDownTheLayersOnly() {
        String[] vocabulary = {"vocabulary", "internal"};
        ArchRule layers = Architectures.layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("internal").definedBy("dev.strata.internal")
                .layer("vocabulary").definedBy("dev.strata.call..", "dev.strata.fault..", "dev.strata.observe..")
                .layer("network").definedBy("dev.strata.network..")
                .layer("pool").definedBy("dev.strata.pool..")
                .layer("jdbc").definedBy("dev.strata.jdbc..")
                .layer("ratelimit").definedBy("dev.strata.ratelimit..")
                .layer("resilience").definedBy("dev.strata.resilience..")
                .layer("http").definedBy("dev.strata.http..")
                .layer("application").definedBy("dev.strata.application..")
                .layer("diagnosis").definedBy("dev.strata.diagnosis..")
                .whereLayer("internal").mayNotAccessAnyLayer()
                .whereLayer("vocabulary").mayOnlyAccessLayers("internal")
                .whereLayer("network").mayOnlyAccessLayers(vocabulary)
                .whereLayer("pool").mayOnlyAccessLayers(with(vocabulary, "network"))
                .whereLayer("jdbc").mayOnlyAccessLayers(with(vocabulary, "network", "pool"))
                .whereLayer("ratelimit").mayOnlyAccessLayers(with(vocabulary, "network"))
                .whereLayer("resilience").mayOnlyAccessLayers(with(vocabulary, "network", "pool", "jdbc", "ratelimit"))
                .whereLayer("http").mayOnlyAccessLayers(with(vocabulary, "network", "pool", "jdbc", "ratelimit", "resilience"))
                .whereLayer("application").mayOnlyAccessLayers(
                        with(vocabulary, "network", "pool", "jdbc", "ratelimit", "resilience", "http"))
                .whereLayer("diagnosis").mayNotBeAccessedByAnyLayer();
        layers.check(STRATA);
    }

    /** No cycle between packages, in any module; {@code X.internal} counts as part of {@code X}. */
    @Test
    void noPackageCycles() {
        SlicesRuleDefinition.slices().assignedFrom(new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
                String pkg = javaClass.getPackageName();
                if (!pkg.startsWith("dev.strata.")) {
                    return SliceIdentifier.ignore();
                }
                return SliceIdentifier.of(StrataModules.isInternal(pkg) && !pkg.equals("dev.strata.internal")
                        ? pkg.substring(0, pkg.length() - ".internal".length()) : pkg);
            }

            @Override
            public String getDescription() {
                return "Strata packages, each X.internal with X";
            }
        }).should().beFreeOfCycles().check(STRATA);
    }

    /**
     * Each module uses the JDK, its own packages, the API of the modules it depends on (directly or
     * through them), the core internals exported to it, and its own libraries: nothing else.
     */
    @Test
    void eachModuleUsesOnlyWhatTheModuleMapAllows() {
        for (StrataModule module : StrataModules.MODULES.values()) {
            Set<String> allowed = new LinkedHashSet<>(StrataModules.JDK_PACKAGES);
            module.packages().forEach(pkg -> allowed.add(pkg + ".."));
            for (String dependency : StrataModules.closure(module.name())) {
                StrataModule used = StrataModules.module(dependency);
                used.packages().forEach(pkg -> allowed.add(used.name().equals("dev.strata.core") ? pkg : pkg + ".."));
            }
            if (StrataModules.closure(module.name()).contains("dev.strata.core")) {
                StrataModules.CORE_INTERNALS.forEach((pkg, users) -> {
                    if (users.contains(module.name())) {
                        allowed.add(pkg);
                    }
                });
            }
            allowed.addAll(module.libraryPackages());
            classes().that(inModule(module)).should().onlyDependOnClassesThat(residingIn(allowed))
                    .as("classes of " + module.name() + " use only " + allowed)
                    .because("docs/architecture.md's module map says what " + module.shortName() + " depends on")
                    .check(STRATA);
        }
    }

    /** A core internal package is used outside core only by the modules its qualified export names. */
    @Test
    void coreInternalsAreUsedOnlyByTheModulesNamedForThem() {
        for (String pkg : List.of("dev.strata.internal", "dev.strata.call.internal", "dev.strata.jdbc.internal",
                "dev.strata.resilience.internal")) {
            Set<String> users = StrataModules.CORE_INTERNALS.getOrDefault(pkg, Set.of());
            for (StrataModule module : StrataModules.MODULES.values()) {
                if (module.name().equals("dev.strata.core") || users.contains(module.name())) {
                    continue;
                }
                noClasses().that(inModule(module)).should().dependOnClassesThat().resideInAPackage(pkg)
                        .because(pkg + " is exported only to " + users).check(STRATA);
            }
        }
    }

    private static boolean owns(StrataModule module, String pkg) {
        return module.packages().stream().anyMatch(p -> pkg.equals(p) || pkg.startsWith(p + "."));
    }

    private static DescribedPredicate<JavaClass> inModule(StrataModule module) {
        return DescribedPredicate.describe("in " + module.name(), javaClass -> owns(module, javaClass.getPackageName()));
    }

    /** Packages in ArchUnit's notation; an array counts as its element type, a primitive as the JDK. */
    private static DescribedPredicate<JavaClass> residingIn(Set<String> packages) {
        PackageMatchers matchers = PackageMatchers.of(packages);
        return DescribedPredicate.describe("reside in " + packages, javaClass -> {
            JavaClass base = javaClass.getBaseComponentType();
            return base.isPrimitive() || matchers.test(base.getPackageName());
        });
    }

    private static String[] with(String[] base, String... more) {
        List<String> all = new ArrayList<>(List.of(base));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
