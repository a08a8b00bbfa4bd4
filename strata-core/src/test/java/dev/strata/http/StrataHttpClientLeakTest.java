package dev.strata.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.http.ScriptedServer.Reply;
import dev.strata.observe.EventBus;
import dev.strata.resilience.Pipeline;
import java.io.IOException;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Failed responses must not cost a connection: their bodies are drained so the JDK puts the
 * connection back in its pool. Counted in open file descriptors of this process, which hold both
 * the client's and the server's sockets.
 */
@EnabledOnOs(OS.LINUX)
class StrataHttpClientLeakTest {

    private static final int FAILED_REQUESTS = 10_000;

    @Test
    void tenThousandFailedRequestsLeaveTheOpenSocketsWhereTheyWere() throws Exception {
        String errorPage = "<html>" + "internal error ".repeat(300) + "</html>"; // ~4 KB each, all to be drained
        try (ScriptedServer server = new ScriptedServer(Reply.of(500, errorPage), Reply.of(503, errorPage), Reply.of(400, errorPage))) {
            StrataHttpClient client = StrataHttpClient.builder("leaky")
                    .baseUri(server.uri("/"))
                    .pipeline(Pipeline.builder("leaky").events(EventBus.detached()).build())
                    .build();
            try {
                failOnce(client); // opens the pooled connection and the JDK's selector
                long baseline = openFileDescriptors();

                for (int i = 0; i < FAILED_REQUESTS; i++) {
                    if (i % 2 == 0) {
                        failOnce(client);
                    } else {
                        CompletableFuture<?> f = client.sendAsync(client.request("/fail").build(), BodyHandlers.ofString());
                        assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(HttpResponseException.class);
                    }
                }

                assertThat(server.requests()).isEqualTo(FAILED_REQUESTS + 1);
                assertThat(openFileDescriptors()).isLessThanOrEqualTo(baseline + 2); // one more connection at most, both ends
            } finally {
                client.close();
            }
        }
    }

    private static void failOnce(StrataHttpClient client) {
        assertThatThrownBy(() -> client.send(client.request("/fail").build(), BodyHandlers.ofString()))
                .isInstanceOfSatisfying(HttpResponseException.class, e -> assertThat(e.bodySnippet()).startsWith("<html>"));
    }

    private static long openFileDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
