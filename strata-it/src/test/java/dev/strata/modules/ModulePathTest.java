package dev.strata.modules;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.module.FindException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.embedded.RedisServer;

/**
 * Strata on the module path, not the class path: a child JVM started with {@code --module-path}
 * and {@code -m} runs {@code src/test/modulepath}'s small application module (compiled here, by
 * javac on the same module path), which loads YAML and properties through strata-config, limits
 * through strata-redis against a real Redis, and starts the shop's L4 runtime from
 * {@code examples/shop.yaml} with its embedded PostgreSQL, answering HTTP. Its output is asserted
 * line by line. A second child runs the CLI ({@code strata doctor audit}) from strata-cli's
 * classes, which a shaded jar cannot show.
 *
 * <p>The module path is this test's own class path less the test tooling and test classes: the
 * Strata modules (jars under {@code verify}, {@code target/classes} under {@code test}) and every
 * library they bring. Surefire itself keeps running tests on the class path.
 */
class ModulePathTest {

    private static final String MAIN_MODULE = "dev.strata.it.modulepath";
    /** Test tooling on this class path that the application has no business seeing. */
    private static final Set<String> TOOLING = Set.of("org.junit", "org.opentest4j", "org.apiguardian", "org.assertj",
            "net.bytebuddy", "com.tngtech.archunit", "embedded.redis");

    private static final Path OUTPUT = Path.of(System.getProperty("strata.it.modulepath.output", "target/modulepath"));

    private static RedisServer redis;
    private static int redisPort;

    @BeforeAll
    static void startRedis() throws IOException {
        // Redis cannot listen on port 0 and report it, so take one the kernel just handed out.
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            redisPort = probe.getLocalPort();
        }
        redis = RedisServer.newRedisServer().port(redisPort).bind("127.0.0.1")
                .setting("save \"\"").setting("appendonly no").setting("maxmemory 64mb").build();
        redis.start();
    }

    @AfterAll
    static void stopRedis() throws IOException {
        if (redis != null) {
            redis.stop();
        }
    }

    @Test
    void configRedisAndTheShopRunOnTheModulePath(@TempDir Path scratch) throws Exception {
        List<Path> modulePath = modulePath();
        Path classes = compile(Path.of(System.getProperty("strata.it.modulepath.sources", "src/test/modulepath")),
                OUTPUT.resolve("classes"), modulePath);
        List<Path> launchPath = new ArrayList<>();
        launchPath.add(classes.resolve(MAIN_MODULE));
        launchPath.addAll(modulePath);

        String out = run("application", 0, launchPath, MAIN_MODULE + "/" + MAIN_MODULE + ".ModulePathMain",
                String.valueOf(redisPort), scratch.toString());
        assertThat(out.lines().filter(line -> line.startsWith("ok ")).map(line -> line.substring(3, line.indexOf(':'))))
                .as(out).containsExactly("modules", "config", "redis", "shop");
        assertThat(out).contains("module path: all checks passed");
    }

    /**
     * The CLI's descriptor: picocli reaches its commands through the {@code opens}, and
     * {@code strata doctor audit} reads a config file through strata-config and strata-doctor.
     */
    @Test
    void theCliAuditsTheShopsConfigOnTheModulePath() throws Exception {
        List<Path> launchPath = new ArrayList<>();
        launchPath.add(Path.of(System.getProperty("strata.cli.classes", "../strata-cli/target/classes")));
        launchPath.addAll(modulePath());
        String shopYaml = Path.of(System.getProperty("strata.examples", "../examples"), "shop.yaml").toString();

        String out = run("cli", 0, launchPath, "dev.strata.cli/dev.strata.cli.StrataCli", "doctor", "audit", shopYaml);
        // the shop's own example passes its audit (loaded through the schema first); recommendations' third attempt
        // starts only when the earlier ones fail fast, which the audit names as a warning
        assertThat(out).contains("retries-may-miss-deadline", "0 error(s)");
    }

    /** Runs {@code -m module/main args} on {@code modulePath} in a child JVM; its output, once it exits as expected. */
    private static String run(String name, int exitCode, List<Path> modulePath, String main, String... args)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "--module-path", join(modulePath), "-m", main));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(variable -> variable.startsWith("STRATA_") || variable.startsWith("SHOP_"));
        Process child = builder.start();
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (InputStream in = child.getInputStream()) {
                in.transferTo(seen);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        boolean exited = child.waitFor(4, TimeUnit.MINUTES);
        if (!exited) {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        String out = seen.toString(StandardCharsets.UTF_8);
        Files.createDirectories(OUTPUT);
        Files.writeString(OUTPUT.resolve(name + "-output.txt"), String.join(" ", command) + "\n\n" + out);
        assertThat(exited).as("%s ended within 4 minutes:%n%s", name, out).isTrue();
        assertThat(out).as("%s%n%s", String.join(" ", command), out).doesNotContain("Exception in thread", "Error: ");
        assertThat(child.exitValue()).as("exit code of%n%s%n%s", String.join(" ", command), out).isEqualTo(exitCode);
        return out;
    }

    /**
     * This class path as a module path: each entry is a module, named by its module-info (every
     * Strata module), by its manifest, or, for a library jar with neither, by the JDK from its file
     * name (embedded PostgreSQL).
     */
    private static List<Path> modulePath() {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<Path> modules = new ArrayList<>();
        for (String element : classPath.split(java.io.File.pathSeparator)) {
            Path entry = Path.of(element);
            String file = entry.getFileName().toString();
            if (!Files.exists(entry) || file.equals("test-classes") || file.endsWith("-tests.jar")
                    || entry.endsWith(Path.of("strata-it", "target", "classes"))) {
                continue;
            }
            assertThat(!Files.isDirectory(entry) || Files.exists(entry.resolve("module-info.class")))
                    .as("%s is a class directory without module-info: the JDK takes no such directory as a module", entry)
                    .isTrue();
            String name = moduleName(entry);
            if (TOOLING.stream().noneMatch(prefix -> name.equals(prefix) || name.startsWith(prefix + "."))) {
                modules.add(entry);
            }
        }
        return modules;
    }

    private static String moduleName(Path entry) {
        try {
            Set<ModuleReference> found = ModuleFinder.of(entry).findAll();
            assertThat(found).as("%s is one module", entry).hasSize(1);
            return found.iterator().next().descriptor().name();
        } catch (FindException e) {
            throw new AssertionError(entry + " cannot be on the module path: " + e.getMessage(), e);
        }
    }

    /** javac, on the module path, as a user compiling against the modules would. */
    private static Path compile(Path sources, Path classes, List<Path> modulePath) throws IOException {
        List<String> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).map(Path::toString).sorted().toList();
        }
        Files.createDirectories(classes);
        // An explicit (empty) class path: javac would otherwise read this JVM's, the test class path.
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "--module-source-path", sources.toString(),
                "--module-path", join(modulePath), "--class-path", classes.toString(),
                "-Xlint:all,-requires-automatic", "-Werror"));
        args.addAll(files);
        ByteArrayOutputStream messages = new ByteArrayOutputStream();
        java.io.PrintStream print = new java.io.PrintStream(messages, true, StandardCharsets.UTF_8);
        int rc = ToolProvider.findFirst("javac").orElseThrow().run(print, print, args.toArray(String[]::new));
        assertThat(rc).as("javac %s%n%s", String.join(" ", args), messages.toString(StandardCharsets.UTF_8)).isZero();
        return classes;
    }

    private static String join(List<Path> paths) {
        return paths.stream().map(Path::toString).collect(Collectors.joining(java.io.File.pathSeparator));
    }
}
