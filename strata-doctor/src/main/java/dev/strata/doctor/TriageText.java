package dev.strata.doctor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns the triage's observations into lines a person reads on call: units and plain names
 * ({@code SELECT 1: median 0.2 ms, max 6.9 ms}) instead of the JSON field names, which stay as
 * they are for tools.
 */
final class TriageText {

    private TriageText() {
    }

    /** One line per observation (the SELECT 1 median and max share one), without indentation. */
    static List<String> observations(Map<String, Object> observations) {
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, Object> e : observations.entrySet()) {
            String key = e.getKey();
            Object v = e.getValue();
            switch (key) {
                case "address" -> lines.add("address: " + v);
                case "dnsMillis" -> lines.add("DNS lookup: " + v + " ms");
                case "tcpConnectMillis" -> lines.add("TCP connect: " + v + " ms");
                case "loginMillis" -> lines.add("login (TLS + authentication): " + v + " ms");
                case "select1MedianMillis" -> lines.add("SELECT 1: median " + v + " ms"
                        + (observations.containsKey("select1MaxMillis") ? ", max " + observations.get("select1MaxMillis") + " ms" : ""));
                case "select1MaxMillis" -> {
                    if (!observations.containsKey("select1MedianMillis")) {
                        lines.add("SELECT 1: max " + v + " ms");
                    }
                }
                case "kernelDeadPeerDetectionSeconds" -> lines.add("this host notices a dead peer after "
                        + seconds(v) + " (keepalive time + interval x probes)");
                case "connections" -> lines.add("connections: " + v);
                case "byState" -> lines.add("connections by state: " + v);
                case "maxConnections" -> lines.add("max_connections: " + v);
                case "superuserReserved" -> lines.add("reserved for superusers: " + v);
                case "usedPercent" -> lines.add("used: " + v + " % of the usable connections");
                case "byApplicationAndClient" -> lines.add("connections by application and client: " + v);
                case "serverTcpKeepalivesIdle" -> lines.add("server tcp_keepalives_idle: " + v);
                default -> lines.add(key + ": " + v);
            }
        }
        return lines;
    }

    /** {@code tcp_keepalive_time 7200 s (2 h 0 min), tcp_keepalive_intvl 75 s (1 min 15 s), tcp_keepalive_probes 9}. */
    static String kernelKeepalive(Map<String, Object> kernel) {
        List<String> parts = new ArrayList<>();
        kernel.forEach((name, v) -> parts.add(name + " " + (name.endsWith("_probes") || !(v instanceof Long) ? v : seconds(v))));
        return String.join(", ", parts);
    }

    /** {@code 7875 s (2 h 11 min)}; under a minute just {@code 45 s}. */
    static String seconds(Object value) {
        if (!(value instanceof Number n)) {
            return String.valueOf(value);
        }
        long s = n.longValue();
        if (s < 60) {
            return s + " s";
        }
        String human = s >= 3600 ? (s / 3600) + " h " + (s % 3600 / 60) + " min"
                : (s / 60) + " min" + (s % 60 == 0 ? "" : " " + (s % 60) + " s");
        return s + " s (" + human + ")";
    }
}
