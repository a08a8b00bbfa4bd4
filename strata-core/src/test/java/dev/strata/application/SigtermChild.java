package dev.strata.application;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Executors;

/**
 * A tiny service on a Strata runtime, run as a child JVM by {@link SigtermTest}: {@code GET /query}
 * runs a 100 ms query through the catalog dependency, {@code GET /stuck} never ends; the health probes
 * are mounted; SIGTERM shuts it down through the runtime's shutdown hook, a second SIGTERM forces it.
 */
public final class SigtermChild {

    private SigtermChild() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String app = args[1];
        Duration budget = args.length > 2 ? Duration.parse(args[2]) : Duration.ofSeconds(10);
        Strata strata = Strata.builder()
                .shutdown(Duration.ofMillis(300), budget)
                .dependency("catalog", d -> d.jdbc(url, "postgres", "postgres").driverProperty("ApplicationName", app)
                        .pool(p -> p.maxSize(8).minIdle(2)).timeout(Duration.ofSeconds(5)))
                .build()
                .start()
                .installShutdownHook();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        HealthHandlers.mount(server, strata);
        Dependency catalog = strata.dependency("catalog");
        server.createContext("/query", exchange -> {
            int status;
            String body;
            try {
                body = catalog.execute(() -> {
                    try (Connection c = catalog.dataSource().getConnection(); Statement st = c.createStatement();
                         ResultSet rs = st.executeQuery("SELECT 'ok' FROM pg_sleep(0.1)")) {
                        rs.next();
                        return rs.getString(1);
                    }
                });
                status = 200;
            } catch (RuntimeException failure) {
                status = 500;
                body = String.valueOf(failure);
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }).getFilters().add(HealthHandlers.admission(strata));
        server.createContext("/stuck", exchange -> {
            try {
                Thread.sleep(Duration.ofMinutes(10)); // in flight until the shutdown is forced
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        }).getFilters().add(HealthHandlers.admission(strata));
        server.start();
        strata.own("http-server", () -> server.stop(0));
        System.out.println("PORT " + server.getAddress().getPort());
        System.out.flush();
        strata.awaitTermination(Duration.ofHours(1));
    }
}
