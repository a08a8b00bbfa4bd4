package dev.strata.modules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.modules.StrataModules.StrataModule;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The built descriptor of every library module against the module map ({@link StrataModules},
 * {@code docs/architecture.md}): its name; it exports every package it owns except the
 * {@code .internal} ones, and only core's internals are exported, to exactly the modules named
 * for them; it requires only the Strata modules and libraries the map allows; and its
 * {@code provides} match its {@code META-INF/services} files, so a ConfigExtension is found on
 * the module path exactly when it is found on the class path.
 */
class ModuleDescriptorsTest {

    @Test
    void everyModuleHasTheDescriptorTheModuleMapDescribes() throws Exception {
        for (StrataModule module : StrataModules.MODULES.values()) {
            ModuleDescriptor descriptor = descriptor(module);
            assertThat(descriptor.isAutomatic()).as("%s has a module-info", module.name()).isFalse();
            assertThat(descriptor.name()).isEqualTo(module.name());

            Set<String> exportedToAll = descriptor.exports().stream().filter(e -> !e.isQualified())
                    .map(ModuleDescriptor.Exports::source).collect(Collectors.toCollection(TreeSet::new));
            Set<String> api = descriptor.packages().stream().filter(pkg -> !StrataModules.isInternal(pkg))
                    .collect(Collectors.toCollection(TreeSet::new));
            if (module.name().equals("dev.strata.cli")) {
                assertThat(exportedToAll).as("the CLI is an application: it exports nothing").isEmpty();
            } else {
                assertThat(exportedToAll).as("%s exports its API packages, all and only", module.name()).isEqualTo(api);
            }
            Map<String, Set<String>> qualified = new LinkedHashMap<>();
            descriptor.exports().stream().filter(ModuleDescriptor.Exports::isQualified)
                    .forEach(e -> qualified.put(e.source(), e.targets()));
            assertThat(qualified).as("qualified exports of %s", module.name())
                    .isEqualTo(module.name().equals("dev.strata.core") ? StrataModules.CORE_INTERNALS : Map.of());

            Set<String> strata = new TreeSet<>();
            Set<String> libraries = new TreeSet<>();
            for (ModuleDescriptor.Requires requires : descriptor.requires()) {
                String name = requires.name();
                if (name.startsWith("dev.strata.")) {
                    strata.add(name);
                } else if (!name.startsWith("java.") && !name.startsWith("jdk.")) {
                    libraries.add(name);
                }
            }
            assertThat(StrataModules.closure(module.name())).as("Strata modules %s may require", module.name())
                    .containsAll(strata);
            assertThat(module.libraryModules()).as("libraries %s may require", module.name()).containsAll(libraries);
        }
    }

    @Test
    void providesMatchTheServiceFiles() throws Exception {
        for (StrataModule module : StrataModules.MODULES.values()) {
            Path root = root(module);
            Map<String, Set<String>> files = serviceFiles(root);
            Map<String, Set<String>> provides = new LinkedHashMap<>();
            descriptor(module).provides().forEach(p -> provides.put(p.service(), new TreeSet<>(p.providers())));
            assertThat(provides).as("provides of %s against its META-INF/services", module.name()).isEqualTo(files);
        }
        assertThat(descriptor(StrataModules.module("dev.strata.config")).uses())
                .containsExactly("dev.strata.config.ConfigExtension");
    }

    /**
     * strata-shop requires embedded PostgreSQL by the name the JDK derives from its jar's file
     * name, because the library declares none. The day it declares one, this fails: require that
     * name in strata-shop's module-info instead.
     */
    @Test
    void embeddedPostgresStillDeclaresNoModuleName() throws Exception {
        Path jar = Path.of(io.zonky.test.db.postgres.embedded.EmbeddedPostgres.class.getProtectionDomain()
                .getCodeSource().getLocation().toURI());
        ModuleDescriptor derived = ModuleFinder.of(jar).findAll().iterator().next().descriptor();
        assertThat(derived.isAutomatic()).as("%s has no module-info", jar).isTrue();
        try (JarFile file = new JarFile(jar.toFile())) {
            assertThat(file.getManifest().getMainAttributes().getValue("Automatic-Module-Name"))
                    .as("%s declares no Automatic-Module-Name", jar).isNull();
        }
        assertThat(derived.name()).isEqualTo("embedded.postgres");
        assertThat(descriptor(StrataModules.module("dev.strata.shop")).requires())
                .extracting(ModuleDescriptor.Requires::name).contains("embedded.postgres");
    }

    private static ModuleDescriptor descriptor(StrataModule module) throws Exception {
        Path root = root(module);
        return ModuleFinder.of(root).find(module.name())
                .orElseThrow(() -> new AssertionError(root + " holds no module " + module.name()))
                .descriptor();
    }

    /**
     * Where the module's classes are: its jar or class directory on this class path, or for the
     * CLI (whose packaged jar is shaded) its class directory.
     */
    static Path root(StrataModule module) throws URISyntaxException, IOException {
        if (module.name().equals("dev.strata.cli")) {
            return Path.of(System.getProperty("strata.cli.classes", "../strata-cli/target/classes"));
        }
        String pkg = module.packages().getLast().replace('.', '/') + "/";
        URL url = null;
        for (URL candidate : Collections.list(ModuleDescriptorsTest.class.getClassLoader().getResources(pkg))) {
            String text = candidate.toString();
            if (!text.contains("/test-classes/") && !text.contains("-tests.jar")) { // strata-it and core's tests share packages
                url = candidate;
            }
        }
        assertThat(url).as("%s on the class path", pkg).isNotNull();
        String text = url.toString();
        if (text.startsWith("jar:")) {
            return Path.of(URI.create(text.substring("jar:".length(), text.indexOf("!/"))));
        }
        Path root = Path.of(url.toURI());
        for (int i = 0; i < pkg.split("/").length; i++) {
            root = root.getParent();
        }
        return root;
    }

    private static Map<String, Set<String>> serviceFiles(Path root) throws IOException {
        Map<String, Set<String>> services = new LinkedHashMap<>();
        if (Files.isDirectory(root)) {
            Path dir = root.resolve("META-INF/services");
            if (Files.isDirectory(dir)) {
                try (var files = Files.list(dir)) {
                    for (Path file : files.toList()) {
                        services.put(file.getFileName().toString(), providers(Files.readString(file, StandardCharsets.UTF_8)));
                    }
                }
            }
            return services;
        }
        try (JarFile jar = new JarFile(root.toFile())) {
            for (var entry : jar.stream().toList()) {
                String name = entry.getName();
                if (name.startsWith("META-INF/services/") && !entry.isDirectory()) {
                    try (InputStream in = jar.getInputStream(entry)) {
                        services.put(name.substring("META-INF/services/".length()),
                                providers(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
                    }
                }
            }
        }
        return services;
    }

    private static Set<String> providers(String file) {
        return file.lines().map(line -> line.replaceAll("#.*", "").trim()).filter(line -> !line.isEmpty())
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
