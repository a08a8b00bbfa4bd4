package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 (API): a pipeline-wide fallback of the wrong type is a compile error. Compiles two
 * snippets against the real classes with the JDK's compiler: the well-typed one compiles, the
 * one whose attempt returns a String through a fallback of Integers does not.
 */
class TypedFallbackCompileTest {

    @TempDir
    Path out;

    private List<Diagnostic<? extends JavaFileObject>> compile(String body) throws IOException {
        String source = """
                import dev.strata.resilience.*;
                import dev.strata.fault.FaultKind;
                class Snippet {
                    Object run() {
                        TypedPipeline<Integer> stock = Pipeline.builder("stock")
                                .fallback(Fallback.on(FaultKind.CIRCUIT_OPEN, cause -> -1))
                                .retry(Retry.ofDefaults())
                                .build();
                        %s
                    }
                }
                """.formatted(body);
        JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///Snippet.java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source;
            }
        };
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        Files.createDirectories(out);
        List<String> options = List.of("-classpath", System.getProperty("java.class.path"), "-d", out.toString());
        compiler.getTask(null, null, diagnostics, options, null, List.of(file)).call();
        return diagnostics.getDiagnostics().stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR).toList();
    }

    @Test
    void fallbackOfTheCallsTypeCompiles() throws IOException {
        assertThat(compile("Integer left = stock.execute(() -> 7); return left;")).isEmpty();
    }

    @Test
    void attemptOfAnotherTypeThanTheFallbackIsACompileError() throws IOException {
        assertThat(compile("String name = stock.execute(() -> \"seven\"); return name;")).isNotEmpty();
    }

    @Test
    void perCallFallbackOfAnotherTypeIsACompileError() throws IOException {
        assertThat(compile("Integer left = stock.execute(null, () -> 7, Fallback.always(cause -> \"none\")); return left;"))
                .isNotEmpty();
    }
}
