package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./strata} launcher's first build, run by bash in a copy of the repository's layout
 * where {@code mvnw} prints what Maven prints (and {@code java} only says it ran): the user sees
 * one line per module and the time, not Maven's output, and Maven's errors when it fails.
 */
class StrataLauncherTest {

    private static final String MAVEN_OUTPUT = """
            [INFO] Scanning for projects...
            [INFO] ----------------------< dev.strata:strata-parent >----------------------
            [INFO] Building Strata 0.1.0-SNAPSHOT                                     [1/3]
            [INFO]   from pom.xml
            %s[INFO] Building Strata core 0.1.0-SNAPSHOT                                [2/3]
            [INFO] Compiling 230 source files with javac [debug release 21] to target/classes
            [INFO] Building Strata command line 0.1.0-SNAPSHOT                        [3/3]
            """;

    @TempDir
    Path root;

    @Test
    void theFirstBuildPrintsOneLinePerModuleAndTheTimeThenRunsTheCli() throws Exception {
        Path repo = layout("""
                cat <<'OUT'
                %s[INFO] BUILD SUCCESS
                [INFO] Total time:  1:38 min
                OUT
                mkdir -p strata-cli/target && touch strata-cli/target/strata-cli.jar
                """.formatted(MAVEN_OUTPUT.formatted(downloads(120))));
        Result run = run(repo, "--help");
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.output().lines().toList()).containsExactly(
                "strata: building the CLI (first run or sources changed); full log: strata-cli/target/strata-build.log",
                "strata:   [1/3] Strata",
                "strata:   downloading dependencies (1 so far)",
                "strata:   downloading dependencies (51 so far)",
                "strata:   downloading dependencies (101 so far)",
                "strata:   [2/3] Strata core",
                "strata:   [3/3] Strata command line",
                "strata: built in 1:38 min",
                "java ran: -Xmn256m -jar " + repo.resolve("strata-cli/target/strata-cli.jar") + " --help");
        assertThat(Files.readString(repo.resolve("strata-cli/target/strata-build.log"))).contains("[INFO] Compiling 230 source files");

        Result again = run(repo, "--help"); // built and nothing changed: no build
        assertThat(again.output()).doesNotContain("building").startsWith("java ran:");
    }

    @Test
    void aFailedBuildShowsMavensErrorsAndTheLogAndExitsOne() throws Exception {
        Path repo = layout("""
                cat <<'OUT'
                %s[ERROR] COMPILATION ERROR :
                [ERROR] /repo/strata-core/src/main/java/dev/strata/X.java:[3,1] class, interface, enum, or record expected
                [INFO] BUILD FAILURE
                OUT
                exit 1
                """.formatted(MAVEN_OUTPUT.formatted("")));
        Result run = run(repo, "--help");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.output()).contains("strata:   [3/3] Strata command line", "strata: the build failed; Maven said:",
                "[ERROR] /repo/strata-core/src/main/java/dev/strata/X.java:[3,1] class, interface, enum, or record expected",
                "strata: full log: " + repo.resolve("strata-cli/target/strata-build.log")).doesNotContain("java ran");
    }

    private static String downloads(int n) {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < n; i++) {
            lines.append("[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/a/b/").append(i).append(".jar\n");
        }
        return lines.toString();
    }

    /** The launcher beside a fake mvnw (running {@code mvnwBody}), a JDK selector and a java that echoes. */
    private Path layout(String mvnwBody) throws IOException {
        Path repo = root.resolve("repo");
        Files.createDirectories(repo.resolve(".mvn"));
        Files.createDirectories(repo.resolve("strata-cli/src/main"));
        Files.createDirectories(root.resolve("jdk/bin"));
        Files.copy(Path.of("..", "strata"), repo.resolve("strata"));
        Files.writeString(repo.resolve("pom.xml"), "<project/>\n");
        Files.writeString(repo.resolve("strata-cli/pom.xml"), "<project><artifactId>strata-cli</artifactId></project>\n");
        Files.writeString(repo.resolve(".mvn/select-jdk.sh"), "JAVA_HOME='" + root.resolve("jdk") + "'\n"
                + "strata_java_major() { echo 25; }\n");
        executable(repo.resolve("mvnw"), "#!/usr/bin/env bash\n" + mvnwBody);
        executable(root.resolve("jdk/bin/java"), "#!/usr/bin/env bash\necho \"java ran: $*\"\n");
        executable(repo.resolve("strata"), Files.readString(repo.resolve("strata")));
        return repo;
    }

    private static void executable(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private record Result(int exit, String output) {
    }

    private static Result run(Path repo, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("bash", repo.resolve("strata").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(repo.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), output);
    }
}
