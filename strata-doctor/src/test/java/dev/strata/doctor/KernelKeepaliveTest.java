package dev.strata.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelKeepaliveTest {

    private static final Path PROC_TIME = Path.of("/proc/sys/net/ipv4/tcp_keepalive_time");

    /** What {@code cat} prints: the reference a person would check the triage against. */
    private static String cat(Path file) throws Exception {
        Process p = new ProcessBuilder("cat", file.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("cat finished").isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
    }

    @Test
    void readsThisMachinesProcfsValueWhoseReportedSizeIsWrong() throws Exception {
        assumeTrue(Files.isReadable(PROC_TIME), "no procfs on this machine");
        String expected = cat(PROC_TIME);
        // procfs reports a size unrelated to the content: this is the file the bug was about.
        assertThat(Files.size(PROC_TIME)).isNotEqualTo((long) (expected.length() + 1));

        Map<String, Object> kernel = KernelKeepalive.read(Path.of("/proc/sys"));

        assertThat(kernel.get("tcp_keepalive_time")).isEqualTo(Long.parseLong(expected));
        assertThat(kernel.get("tcp_keepalive_intvl")).isEqualTo(Long.parseLong(cat(Path.of("/proc/sys/net/ipv4/tcp_keepalive_intvl"))));
        assertThat(kernel.get("tcp_keepalive_probes")).isEqualTo(Long.parseLong(cat(Path.of("/proc/sys/net/ipv4/tcp_keepalive_probes"))));
    }

    @Test
    void readsAFifoThatDeliversTheValueInTwoPiecesUntilEndOfFile(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("tcp_keepalive_time");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assumeTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo not available");
        assertThat(Files.size(fifo)).as("a FIFO reports size 0 whatever it carries").isZero();
        CountDownLatch firstPieceWritten = new CountDownLatch(1);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (OutputStream out = Files.newOutputStream(fifo)) {
                out.write("72".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                firstPieceWritten.countDown();
                Thread.sleep(100); // the reader's first read sees "72" alone, as on the short-reading kernel
                out.write("00\n".getBytes(StandardCharsets.US_ASCII));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        String text = KernelKeepalive.readToEnd(fifo);

        writer.get(10, TimeUnit.SECONDS);
        assertThat(firstPieceWritten.getCount()).isZero();
        assertThat(text).isEqualTo("7200\n");
    }

    @Test
    void unreadableFileIsReportedNotThrown(@TempDir Path procSys) {
        Map<String, Object> kernel = KernelKeepalive.read(procSys);
        assertThat(kernel.get("tcp_keepalive_time")).asString().startsWith("unknown (");
    }

    @Test
    void textReportGivesUnitsInsteadOfFieldNames() {
        Map<String, Object> l1 = new LinkedHashMap<>();
        l1.put("dnsMillis", 0.1);
        l1.put("select1MedianMillis", 0.2);
        l1.put("select1MaxMillis", 6.9);
        l1.put("kernelDeadPeerDetectionSeconds", 7875L);
        assertThat(TriageText.observations(l1)).containsExactly("DNS lookup: 0.1 ms", "SELECT 1: median 0.2 ms, max 6.9 ms",
                "this host notices a dead peer after 7875 s (2 h 11 min) (keepalive time + interval x probes)");

        Map<String, Object> kernel = new LinkedHashMap<>();
        kernel.put("tcp_keepalive_time", 7200L);
        kernel.put("tcp_keepalive_intvl", 75L);
        kernel.put("tcp_keepalive_probes", 9L);
        assertThat(TriageText.kernelKeepalive(kernel))
                .isEqualTo("tcp_keepalive_time 7200 s (2 h 0 min), tcp_keepalive_intvl 75 s (1 min 15 s), tcp_keepalive_probes 9");
    }
}
