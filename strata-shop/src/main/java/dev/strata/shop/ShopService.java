package dev.strata.shop;

import dev.strata.call.CallContext;
import dev.strata.call.Deadline;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.Layer;
import dev.strata.resilience.Fallback;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Timeout;
import dev.strata.jdbc.StrataDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The order service on Strata, shared by {@code strata demo} (its "strata" variant) and
 * {@code strata shop}: the catalog from PostgreSQL, a checkout that asks inventory, charges
 * payments and writes the order, and recommendations. Each call goes through its dependency's
 * {@link Pipeline}; whoever builds the service decides how those pipelines are configured (the
 * demo from its time-compressed settings, the shop from its config file).
 *
 * <p>Fallbacks are given per call, so the pipelines need none: payments - the order is accepted as
 * {@code pending} and written to the orders table (the queue a payment job would drain); inventory
 * - "likely available"; recommendations - the popular items, read once at start-up so the fallback
 * makes no remote call. A checkout takes a database connection only for the insert, never across
 * the HTTP calls.
 *
 * <p>Thread-safe; the pipelines, the data source and the calls' HTTP client are shared by every
 * request. The service owns none of them: whoever built them closes them.
 */
public final class ShopService {

    /**
     * What the service calls through.
     *
     * @param database the pooled PostgreSQL
     * @param catalogDb the pipeline for catalog reads (idempotent, may retry)
     * @param ordersDb the pipeline for the order insert (attempted once: it is not idempotent)
     * @param payments the payments pipeline
     * @param inventory the inventory pipeline
     * @param recommendations the recommendations pipeline
     * @param calls the business calls to the downstreams
     */
    public record Dependencies(StrataDataSource database, Pipeline catalogDb, Pipeline ordersDb, Pipeline payments,
                               Pipeline inventory, Pipeline recommendations, ShopCalls calls) {
        public Dependencies {
            Args.nonNull("database", database);
            Args.nonNull("catalogDb", catalogDb);
            Args.nonNull("ordersDb", ordersDb);
            Args.nonNull("payments", payments);
            Args.nonNull("inventory", inventory);
            Args.nonNull("recommendations", recommendations);
            Args.nonNull("calls", calls);
        }
    }

    /**
     * The service's own time limits.
     *
     * @param checkoutBudget one checkout's whole budget: inventory, payments and the order insert
     * @param orderWriteReserve of that budget, the part kept back for the order insert, so a slow
     *        payment ends in a {@code pending} order rather than a checkout that ran out of time
     * @param paymentAttempt payments' per-attempt timeout (the HTTP client's backstop is twice it)
     * @param inventoryAttempt inventory's per-attempt timeout
     * @param recommendationsAttempt recommendations' per-attempt timeout
     */
    public record Timing(Duration checkoutBudget, Duration orderWriteReserve, Duration paymentAttempt,
                         Duration inventoryAttempt, Duration recommendationsAttempt) {
        public Timing {
            Args.between("checkoutBudget", checkoutBudget, Duration.ofMillis(1), Duration.ofMinutes(10));
            Args.between("orderWriteReserve", orderWriteReserve, Duration.ZERO, checkoutBudget);
            Args.between("paymentAttempt", paymentAttempt, Duration.ofMillis(1), Duration.ofMinutes(10));
            Args.between("inventoryAttempt", inventoryAttempt, Duration.ofMillis(1), Duration.ofMinutes(10));
            Args.between("recommendationsAttempt", recommendationsAttempt, Duration.ofMillis(1), Duration.ofMinutes(10));
        }
    }

    /**
     * How a checkout ended. Either way the order row was written.
     *
     * @param orderId the caller's order id
     * @param productId the product ordered
     * @param status {@code confirmed} (charged now) or {@code pending} (payments' fallback)
     * @param stockConfirmed whether inventory confirmed the stock, or its fallback assumed it
     * @param reason why a fallback answered (payments' first, else inventory's), as the policy saw it; null when none did
     * @param root the fault underneath {@code reason}, for "which layer broke"; null when no fallback answered
     */
    public record Checkout(long orderId, long productId, String status, boolean stockConfirmed, Fault reason, Fault root) {
        /** Whether a fallback answered part of the checkout. */
        public boolean degraded() {
            return reason != null;
        }
    }

    /**
     * Recommendations for a user.
     *
     * @param items product ids
     * @param reason why the popular-items fallback answered; null when the service did
     * @param root the fault underneath {@code reason}; null when the service answered
     */
    public record Recommendations(List<Long> items, Fault reason, Fault root) {
        /** Whether the fallback answered. */
        public boolean degraded() {
            return reason != null;
        }
    }

    /** Whether payments charged the order now, or the order was accepted as pending, and why. */
    private record Payment(boolean charged, Fault reason, Fault root) {
    }

    /** Whether inventory confirmed the stock, or the fallback assumed "likely available", and why. */
    private record Stock(boolean confirmed, Fault reason, Fault root) {
    }

    private final Dependencies deps;
    private final Timing timing;
    private final List<Long> popular;
    private final Fallback<Stock> stockFallback = Fallback.always(cause -> new Stock(false, cause.fault(), root(cause)));
    private final Fallback<Payment> paymentFallback = Fallback.always(cause -> new Payment(false, cause.fault(), root(cause)));
    private final Fallback<Recommendations> recommendationsFallback;

    /**
     * Builds the service and reads the popular items its recommendations fallback serves.
     *
     * @throws SQLException when the popular items cannot be read
     */
    public ShopService(Dependencies dependencies, Timing timing) throws SQLException {
        this.deps = Args.nonNull("dependencies", dependencies);
        this.timing = Args.nonNull("timing", timing);
        this.popular = loadPopularItems(dependencies.database());
        this.recommendationsFallback = Fallback.always(cause -> new Recommendations(popular, cause.fault(), root(cause)));
    }

    private static List<Long> loadPopularItems(StrataDataSource database) throws SQLException {
        try (Connection c = database.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id FROM product ORDER BY popularity DESC, id LIMIT 5");
             ResultSet rs = ps.executeQuery()) {
            List<Long> ids = new ArrayList<>();
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
            return List.copyOf(ids);
        }
    }

    /**
     * Which layer broke, as opposed to which policy reacted: the fault of the failure underneath
     * a resilience wrapper (retries exhausted, deadline exceeded), or the policy's own fault when
     * no call was made (open breaker, full bulkhead).
     */
    public static Fault rootFault(FaultClassifier classifier, Throwable failure) {
        Fault fault = classifier.classify(failure);
        Throwable current = failure;
        for (int depth = 0; depth < 8 && fault.layer() == Layer.RESILIENCE && current.getCause() != null; depth++) {
            current = current.getCause();
            Fault cause = classifier.classify(current);
            if (cause.layer() == Layer.APPLICATION && cause.kind() == dev.strata.fault.FaultKind.UNCLASSIFIED) {
                break; // a wrapper nobody recognises says less than the policy's own fault
            }
            fault = cause;
        }
        return fault;
    }

    private static Fault root(Fallback.Cause cause) {
        return rootFault(FaultClassifier.DEFAULT, cause.failure());
    }

    /** The popular items, most popular first: what the recommendations fallback serves. */
    public List<Long> popularItems() {
        return popular;
    }

    /**
     * The catalog page: the ten most popular products.
     *
     * @throws RuntimeException as {@link Pipeline#execute(java.util.concurrent.Callable)} describes, when the database fails
     */
    public List<ShopCalls.Product> catalog() {
        return deps.catalogDb().execute(() -> {
            try (Connection connection = deps.database().getConnection()) {
                return ShopCalls.queryCatalog(connection);
            }
        });
    }

    /**
     * A checkout within {@link Timing#checkoutBudget()}: inventory (fallback "likely available"),
     * then payments with {@code order-<orderId>} as idempotency key (fallback {@code pending}),
     * then the order row.
     *
     * @throws Exception when the order row cannot be written, or the budget ran out before it was
     */
    public Checkout checkout(long orderId) throws Exception {
        long product = ShopCalls.productFor(orderId);
        Deadline checkout = Deadline.after(timing.checkoutBudget());
        return checkout.call(() -> {
            Stock stock = deps.inventory().execute(CallContext.idempotent(ShopCalls.INVENTORY), () -> {
                deps.calls().checkInventory(product, httpBound(deps.inventory(), timing.inventoryAttempt()));
                return new Stock(true, null, null);
            }, stockFallback);
            // Payments may spend what is left minus the time kept back to write the order, so a
            // slow payment ends in a 'pending' order, never in a checkout that ran out of time.
            long forPayment = Math.max(0L, checkout.remainingNanos() - timing.orderWriteReserve().toNanos());
            // The charge is not idempotent: the key lets payments recognise a repeat, so a retry is safe.
            String key = "order-" + orderId;
            Payment payment = Deadline.after(Duration.ofNanos(forPayment)).call(() -> deps.payments().execute(
                    CallContext.nonIdempotent(ShopCalls.PAYMENTS, key), () -> {
                        deps.calls().charge(orderId, key, httpBound(deps.payments(), timing.paymentAttempt()));
                        return new Payment(true, null, null);
                    }, paymentFallback));
            String status = payment.charged() ? "confirmed" : "pending";
            // An insert is not idempotent and has no key: attempted exactly once whatever the pipeline's retry says.
            deps.ordersDb().execute(CallContext.nonIdempotent(deps.ordersDb().name(), null), () -> {
                try (Connection connection = deps.database().getConnection()) {
                    deps.calls().insertOrder(connection, product, status);
                    return null;
                }
            });
            Fault reason = !payment.charged() ? payment.reason() : stock.reason();
            Fault root = !payment.charged() ? payment.root() : stock.root();
            return new Checkout(orderId, product, status, stock.confirmed(), reason, root);
        });
    }

    /** Recommendations for a user: the service's answer, or the popular items when it cannot answer. */
    public Recommendations recommendations(long userId) {
        return deps.recommendations().execute(CallContext.idempotent(ShopCalls.RECOMMENDATIONS), () -> {
            deps.calls().recommendations(userId, httpBound(deps.recommendations(), timing.recommendationsAttempt()));
            return new Recommendations(List.of(userId % ShopDatabase.PRODUCTS + 1), null, null);
        }, recommendationsFallback);
    }

    /**
     * The HTTP client's own bound for one attempt: a backstop at twice the pipeline's attempt
     * timeout (or the deadline's time left, if less), so the pipeline's timeout is the one that
     * fires and reports the attempt, and the request still cannot outlive its call. The timeout is
     * the pipeline's current one (a reload may have changed it); {@code configured} when it has none.
     */
    private static Duration httpBound(Pipeline pipeline, Duration configured) {
        Timeout timeout = pipeline.tuning().timeout();
        Duration attemptTimeout = timeout == null ? configured : timeout.duration();
        return Duration.ofNanos(Math.max(1_000_000L, Deadline.remainingNanosOr(2 * attemptTimeout.toNanos())));
    }
}
