package dev.strata.cli.demo;

import dev.strata.fault.FaultClassifier;
import dev.strata.fault.HttpStatusException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;

/**
 * The business calls both variants make, written once so the variants differ only in how they
 * protect them: the HTTP requests to the downstreams and the SQL of the order service.
 */
final class ShopCalls {

    static final String PAYMENTS = "payments";
    static final String INVENTORY = "inventory";
    static final String RECOMMENDATIONS = "recommendations";

    private final String variant;
    private final HttpClient http;
    private final Map<String, Integer> ports;

    /**
     * @param variant sent in a header so the downstreams can count each variant's load
     * @param http the variant's client
     * @param ports the port of each downstream (or of the chaos proxy in front of it) on 127.0.0.1
     */
    ShopCalls(String variant, HttpClient http, Map<String, Integer> ports) {
        this.variant = variant;
        this.http = http;
        this.ports = Map.copyOf(ports);
    }

    /** Asks inventory whether a product is in stock; the request waits at most {@code timeout}. */
    void checkInventory(long productId, Duration timeout) throws IOException, InterruptedException {
        send(INVENTORY, "/stock/" + productId, null, null, timeout);
    }

    /** Charges an order; {@code idempotencyKey} lets payments recognise a repeated charge. */
    void charge(long orderId, String idempotencyKey, Duration timeout) throws IOException, InterruptedException {
        send(PAYMENTS, "/charges", "{\"order\":" + orderId + ",\"amount_cents\":1999}", idempotencyKey, timeout);
    }

    /** Fetches personalised recommendations. */
    void recommendations(long userId, Duration timeout) throws IOException, InterruptedException {
        send(RECOMMENDATIONS, "/for/" + userId, null, null, timeout);
    }

    private void send(String service, String path, String body, String idempotencyKey, Duration timeout)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(service) + path))
                .timeout(timeout)
                .header(Downstream.VARIANT_HEADER, variant);
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        request.method(body == null ? "GET" : "POST",
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<Void> response = http.send(request.build(), HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() >= 400) {
            throw new HttpStatusException(response.statusCode(),
                    FaultClassifier.parseRetryAfter(response.headers().firstValue("Retry-After").orElse(null),
                            System.currentTimeMillis()),
                    service);
        }
    }

    /** The catalog page: the ten most popular products. Returns how many rows came back. */
    static int queryCatalog(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT id, name, price_cents FROM product ORDER BY popularity DESC, id LIMIT 10");
             ResultSet rs = ps.executeQuery()) {
            int rows = 0;
            while (rs.next()) {
                rows++;
            }
            return rows;
        }
    }

    /** Writes the order row with its status, {@code confirmed} or {@code pending}. */
    void insertOrder(Connection connection, long productId, String status) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "INSERT INTO orders (variant, product_id, status) VALUES (?, ?, ?)")) {
            ps.setString(1, variant);
            ps.setLong(2, productId);
            ps.setString(3, status);
            ps.executeUpdate();
        }
    }

    /** The product a request is about: spread over the catalog. */
    static long productFor(long requestId) {
        return 1 + requestId % DemoDatabase.PRODUCTS;
    }
}
