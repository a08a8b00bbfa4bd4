package dev.strata.doctor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * This host's TCP keepalive settings, read from {@code net/ipv4/tcp_keepalive_*} under the
 * procfs root the options name (normally {@code /proc/sys}, a test passes a folder of its own).
 * On its own so the procfs reading is easy to find and to test apart from a database.
 */
final class KernelKeepalive {

    /** More than any number a procfs value file holds; a file that never ends is cut here. */
    private static final int MAX_BYTES = 4096;

    private KernelKeepalive() {
    }

    /**
     * The kernel's keepalive time, interval and probe count, by file name, each a {@code Long} or
     * an "unknown (...)" text when its file cannot be read: the triage must not fail for it.
     */
    static Map<String, Object> read(Path procSys) {
        Map<String, Object> kernel = new LinkedHashMap<>();
        for (String name : List.of("tcp_keepalive_time", "tcp_keepalive_intvl", "tcp_keepalive_probes")) {
            Path file = procSys.resolve("net/ipv4/" + name);
            try {
                kernel.put(name, Long.parseLong(readToEnd(file).trim()));
            } catch (IOException | NumberFormatException | SecurityException e) {
                kernel.put(name, "unknown (" + file + " not readable)");
            }
        }
        return kernel;
    }

    /**
     * The whole text of a file, read in a loop until end of file. A procfs file reports a size
     * that has nothing to do with its content (0 or 4096, and on some kernels reads stop short),
     * so reading "size bytes" as {@code Files.readString} does can return {@code "7"} for 7200;
     * only end of file says the value is complete. The same holds for pipes and FIFOs.
     */
    static String readToEnd(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(64);
            byte[] buffer = new byte[64];
            int n;
            while ((n = in.read(buffer)) != -1) {
                out.write(buffer, 0, n);
                if (out.size() > MAX_BYTES) {
                    throw new IOException(file + " holds more than " + MAX_BYTES + " bytes: not a procfs value");
                }
            }
            return out.toString(StandardCharsets.US_ASCII);
        }
    }
}
