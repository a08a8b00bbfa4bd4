package dev.strata.shop;

import dev.strata.fault.FaultClassifier;
import dev.strata.fault.HttpStatusException;
import dev.strata.http.StrataHttpClient;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The order service's business calls, written once for the demo's two variants and the shop so
 * they differ only in how they protect them: the HTTP requests to the downstreams and the SQL.
 */
public final class ShopCalls {

    /** The payments service's dependency name. */
    public static final String PAYMENTS = "payments";
    /** The inventory service's dependency name. */
    public static final String INVENTORY = "inventory";
    /** The recommendations service's dependency name. */
    public static final String RECOMMENDATIONS = "recommendations";

    /** One catalog entry. */
    public record Product(long id, String name, long priceCents) {
    }

    private final String variant;
    private final HttpClient http;
    private final Map<String, URI> baseUrls;
    private final Map<String, StrataHttpClient> clients;

    /**
     * @param variant sent in a header so the downstreams can count each variant's load
     * @param http the variant's client
     * @param ports the port of each downstream (or of the chaos proxy in front of it) on 127.0.0.1
     */
    public ShopCalls(String variant, HttpClient http, Map<String, Integer> ports) {
        this(http, variant, toUrls(ports));
    }

    /**
     * @param http the client
     * @param variant sent in a header so the downstreams can count each caller's load
     * @param baseUrls each downstream's base URL, e.g. {@code http://127.0.0.1:8081/}
     */
    public ShopCalls(HttpClient http, String variant, Map<String, URI> baseUrls) {
        this.variant = variant;
        this.http = http;
        this.baseUrls = Map.copyOf(baseUrls);
        this.clients = Map.of();
    }

    /**
     * Calls through each downstream's {@link StrataHttpClient} (the shop's: one per dependency,
     * from its Strata runtime). Each call is then one attempt of the caller's pipeline, bounded
     * by the deadline, its status classified, a failed body drained and the call's idempotency
     * key sent.
     *
     * @param variant sent in a header so the downstreams can count each caller's load
     * @param clients each downstream's client, by dependency name
     */
    public ShopCalls(String variant, Map<String, StrataHttpClient> clients) {
        this.variant = variant;
        this.http = null;
        this.clients = Map.copyOf(clients);
        this.baseUrls = Map.of();
    }

    private static Map<String, URI> toUrls(Map<String, Integer> ports) {
        Map<String, URI> urls = new java.util.HashMap<>();
        ports.forEach((name, port) -> urls.put(name, URI.create("http://127.0.0.1:" + port + "/")));
        return urls;
    }

    /** Asks inventory whether a product is in stock; the request waits at most {@code timeout}. */
    public void checkInventory(long productId, Duration timeout) throws IOException, InterruptedException {
        send(INVENTORY, "/stock/" + productId, null, null, timeout);
    }

    /** Charges an order; {@code idempotencyKey} lets payments recognise a repeated charge. */
    public void charge(long orderId, String idempotencyKey, Duration timeout) throws IOException, InterruptedException {
        send(PAYMENTS, "/charges", "{\"order\":" + orderId + ",\"amount_cents\":1999}", idempotencyKey, timeout);
    }

    /** Fetches personalised recommendations. */
    public void recommendations(long userId, Duration timeout) throws IOException, InterruptedException {
        send(RECOMMENDATIONS, "/for/" + userId, null, null, timeout);
    }

    private void send(String service, String path, String body, String idempotencyKey, Duration timeout)
            throws IOException, InterruptedException {
        StrataHttpClient client = clients.get(service);
        HttpRequest.Builder request = client != null ? client.request(path.substring(1))
                : HttpRequest.newBuilder(baseUrls.get(service).resolve(path.substring(1)));
        request
                .timeout(timeout)
                .header(Downstream.VARIANT_HEADER, variant);
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        request.method(body == null ? "GET" : "POST",
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (client != null) {
            client.attempt(request.build(), HttpResponse.BodyHandlers.discarding()); // throws HttpResponseException >= 400
            return;
        }
        HttpResponse<Void> response = http.send(request.build(), HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() >= 400) {
            throw new HttpStatusException(response.statusCode(),
                    FaultClassifier.parseRetryAfter(response.headers().firstValue("Retry-After").orElse(null),
                            System.currentTimeMillis()),
                    service);
        }
    }

    /** The catalog page: the ten most popular products, most popular first. */
    public static List<Product> queryCatalog(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT id, name, price_cents FROM product ORDER BY popularity DESC, id LIMIT 10");
             ResultSet rs = ps.executeQuery()) {
            List<Product> rows = new ArrayList<>(10);
            while (rs.next()) {
                rows.add(new Product(rs.getLong(1), rs.getString(2), rs.getLong(3)));
            }
            return rows;
        }
    }

    /** Writes the order row with its status, {@code confirmed} or {@code pending}. */
    public void insertOrder(Connection connection, long productId, String status) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "INSERT INTO orders (variant, product_id, status) VALUES (?, ?, ?)")) {
            ps.setString(1, variant);
            ps.setLong(2, productId);
            ps.setString(3, status);
            ps.executeUpdate();
        }
    }

    /** The product a request is about: spread over the catalog. */
    public static long productFor(long requestId) {
        return 1 + requestId % ShopDatabase.PRODUCTS;
    }
}
