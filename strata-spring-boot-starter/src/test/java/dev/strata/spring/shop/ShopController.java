package dev.strata.spring.shop;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;

/** Orders in PostgreSQL through JdbcTemplate, prices from the payments service through RestClient. */
@RestController
class ShopController {

    private final JdbcTemplate jdbc;
    private final RestClient payments;
    private final AtomicBoolean schema = new AtomicBoolean();

    ShopController(JdbcTemplate jdbc, RestClient payments) {
        this.jdbc = jdbc;
        this.payments = payments;
    }

    private void schema() {
        if (!schema.get()) {
            jdbc.execute("CREATE TABLE IF NOT EXISTS spring_orders (id BIGSERIAL PRIMARY KEY, item TEXT NOT NULL)");
            schema.set(true);
        }
    }

    @PostMapping("/orders")
    Map<String, Object> order(@RequestParam String item) {
        schema();
        Long id = jdbc.queryForObject("INSERT INTO spring_orders (item) VALUES (?) RETURNING id", Long.class, item);
        return Map.of("id", id, "item", item);
    }

    @GetMapping("/orders/count")
    Map<String, Object> count() {
        schema();
        return Map.of("count", jdbc.queryForObject("SELECT count(*) FROM spring_orders", Long.class));
    }

    /** Holds a connection for {@code millis} (the SIGTERM test's in-flight work). */
    @GetMapping("/slow")
    Map<String, Object> slow(@RequestParam(defaultValue = "200") int millis) {
        jdbc.execute("SELECT pg_sleep(" + (millis / 1000.0) + ")");
        return Map.of("slept", millis);
    }

    @GetMapping("/quote")
    Map<String, Object> quote() {
        return Map.of("price", payments.get().uri("/price").retrieve().body(String.class));
    }

    /** A failed downstream call: 503 with Strata's reason (layer and kind), never a stack trace. */
    @ExceptionHandler(RuntimeException.class)
    ResponseEntity<Map<String, Object>> failed(RuntimeException e) {
        return ResponseEntity.status(503).body(Map.of("error", e.getClass().getSimpleName(), "message", String.valueOf(e.getMessage())));
    }
}
