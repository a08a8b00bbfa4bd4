package dev.strata.doctor;

import java.io.IOException;
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
                kernel.put(name, Long.parseLong(Files.readString(file).trim()));
            } catch (IOException | NumberFormatException | SecurityException e) {
                kernel.put(name, "unknown (" + file + " not readable)");
            }
        }
        return kernel;
    }
}
