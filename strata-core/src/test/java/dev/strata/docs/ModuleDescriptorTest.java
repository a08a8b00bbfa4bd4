package dev.strata.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.resilience.Pipeline;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The built module descriptor of strata-core: every package is either exported as API or
 * deliberately internal, and no internal package is exported to everyone. A package
 * added later without a decision fails here.
 */
class ModuleDescriptorTest {

    /** Not API: {@code dev.strata.internal} and each layer's own {@code .internal} sub-package. */
    private static boolean internal(String pkg) {
        return pkg.equals("dev.strata.internal") || pkg.endsWith(".internal");
    }

    private static ModuleDescriptor descriptor() throws Exception {
        Path classes = Path.of(Pipeline.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return ModuleFinder.of(classes).find("dev.strata.core").orElseThrow().descriptor();
    }

    @Test
    void everyPackageIsExportedOrDeliberatelyInternal() throws Exception {
        ModuleDescriptor module = descriptor();
        Set<String> exportedToAll = module.exports().stream().filter(e -> !e.isQualified())
                .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
        for (String pkg : module.packages()) {
            assertThat(exportedToAll.contains(pkg) || internal(pkg))
                    .as("package %s is neither exported nor listed as internal", pkg).isTrue();
        }
        assertThat(exportedToAll).noneMatch(ModuleDescriptorTest::internal)
                .contains("dev.strata.resilience", "dev.strata.fault", "dev.strata.call", "dev.strata.pool",
                        "dev.strata.jdbc", "dev.strata.ratelimit");
    }

    @Test
    void internalIsExportedOnlyToStrataModules() throws Exception {
        assertThat(descriptor().exports()).filteredOn(e -> internal(e.source())).allSatisfy(e -> {
            assertThat(e.isQualified()).isTrue();
            assertThat(e.targets()).allSatisfy(target -> assertThat(target).startsWith("dev.strata."));
        });
    }

    /**
     * Only what other modules use crosses the module boundary: call.internal and jdbc.internal
     * stay inside core. (strata-it's ModuleDescriptorsTest checks the targets against the module map.)
     */
    @Test
    void onlyTheSharedInternalsAreExported() throws Exception {
        assertThat(descriptor().exports()).filteredOn(e -> internal(e.source()))
                .extracting(ModuleDescriptor.Exports::source)
                .containsExactlyInAnyOrder("dev.strata.internal", "dev.strata.resilience.internal");
    }

    @Test
    void coreRequiresOnlyTheJdk() throws Exception {
        assertThat(descriptor().requires()).allSatisfy(r ->
                assertThat(r.name()).matches("java\\..*|jdk\\..*"));
    }
}
