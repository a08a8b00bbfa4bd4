package dev.strata.shop.demo;

import dev.strata.shop.ShopCalls;
import dev.strata.shop.ShopDatabase;
import dev.strata.shop.demo.LoadGenerator.Answer;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import java.io.IOException;
import java.net.http.HttpClient;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The order service as seed 001 shows the code that took the platform down: every endpoint runs on
 * one shared thread pool; a checkout opens its transaction first and holds the database connection
 * while it calls inventory and payments; there are no timeouts, no breaker, no fallback; GETs are
 * retried three times with exponential backoff and no jitter and no budget; the connection pool
 * never validates or keeps a connection alive.
 *
 * <p>The only thing added for the demo is the safety cap ({@link DemoSettings#safetyCap()}): every
 * wait (the shared pool, a connection, an HTTP answer) gives up after it, as a load balancer would,
 * so the demo always ends. Failures are classified by where the request was stuck when the cap
 * passed.
 */
final class NaiveOrderService implements OrderService {

    private static final int RETRIES = 3;

    private final ShopCalls calls;
    private final NaivePool pool;
    private final HttpClient http;
    private final ThreadPoolExecutor shared;
    private final Duration cap;
    private final Duration backoff;

    NaiveOrderService(DemoSettings settings, ShopDatabase database, java.util.Map<String, Integer> ports) {
        this.cap = settings.safetyCap();
        this.backoff = settings.naiveBackoff();
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(); // no connect timeout
        this.calls = new ShopCalls(name(), http, ports);
        this.pool = new NaivePool(database::open, settings.poolSize(), cap);
        AtomicInteger threadNumber = new AtomicInteger();
        // One pool for everything. Its queue is as long as the load generator's in-flight cap, so it
        // never rejects: work piles up in it, as in the seed.
        this.shared = new ThreadPoolExecutor(settings.naiveThreads(), settings.naiveThreads(), 0L, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(settings.maxInFlight() + settings.naiveThreads()),
                task -> {
                    Thread thread = new Thread(task, "naive-shared-" + threadNumber.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
    }

    @Override
    public String name() {
        return "naive";
    }

    @Override
    public Answer catalog(long requestId) throws Exception {
        return onSharedPool(() -> {
            Connection connection = pool.borrow();
            boolean broken = false;
            try {
                ShopCalls.queryCatalog(connection);
                return Answer.OK;
            } catch (SQLException e) {
                broken = true;
                throw e;
            } finally {
                pool.release(connection, broken);
            }
        });
    }

    @Override
    public Answer checkout(long requestId) throws Exception {
        long product = ShopCalls.productFor(requestId);
        return onSharedPool(() -> {
            Connection connection = pool.borrow();
            boolean broken = false;
            try {
                // @Transactional around the whole method: the connection is held through both HTTP calls.
                connection.setAutoCommit(false);
                try (PreparedStatement ps = connection.prepareStatement("SELECT price_cents FROM product WHERE id = ?")) {
                    ps.setLong(1, product);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                    }
                }
                withRetries(() -> calls.checkInventory(product, cap));
                calls.charge(requestId, null, cap); // not idempotent, so not retried: no fallback either
                calls.insertOrder(connection, product, "confirmed");
                connection.commit();
                return Answer.OK;
            } catch (SQLException e) {
                broken = true;
                throw e;
            } catch (Exception e) {
                rollbackQuietly(connection);
                throw e;
            } finally {
                if (!broken) {
                    try {
                        connection.setAutoCommit(true);
                    } catch (SQLException e) {
                        broken = true;
                    }
                }
                pool.release(connection, broken);
            }
        });
    }

    @Override
    public Answer recommendations(long requestId) throws Exception {
        return onSharedPool(() -> {
            withRetries(() -> calls.recommendations(requestId, cap));
            return Answer.OK;
        });
    }

    /** Retries on any exception, backing off 1x, 2x, 4x with no jitter and no budget. */
    private void withRetries(HttpCall call) throws Exception {
        long sleep = backoff.toNanos();
        for (int attempt = 0; ; attempt++) {
            try {
                call.run();
                return;
            } catch (IOException | RuntimeException e) {
                if (attempt == RETRIES) {
                    throw e;
                }
                TimeUnit.NANOSECONDS.sleep(sleep); // holds the shared pool's thread while it sleeps
                sleep *= 2;
            }
        }
    }

    @FunctionalInterface
    private interface HttpCall {
        void run() throws Exception;
    }

    private Answer onSharedPool(Callable<Answer> work) throws Exception {
        AtomicBoolean started = new AtomicBoolean();
        Future<Answer> future = shared.submit(() -> {
            started.set(true);
            return work.call();
        });
        try {
            return future.get(cap.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new SafetyCapExceeded(started.get(), cap);
        }
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // the release path closes a broken connection
        }
    }

    /** A naive request that did not finish within the safety cap. */
    static final class SafetyCapExceeded extends RuntimeException {
        private final transient Fault fault;

        SafetyCapExceeded(boolean started, Duration cap) {
            super(started ? "no answer within the " + cap.toMillis() + " ms safety cap"
                    : "waited the whole " + cap.toMillis() + " ms safety cap for a thread of the shared pool");
            this.fault = started
                    ? Fault.of(FaultKind.READ_TIMEOUT, "a call with no timeout; cut by the safety cap")
                    : Fault.of(FaultKind.POOL_EXHAUSTED, "shared thread pool full");
        }
    }

    /** The naive variant's own failures first, then the default classifier. */
    static final FaultClassifier CLASSIFIER = ((FaultClassifier) failure -> {
        if (failure instanceof SafetyCapExceeded exceeded) {
            return exceeded.fault;
        }
        if (failure instanceof NaivePool.Exhausted) {
            return Fault.of(FaultKind.POOL_EXHAUSTED, "database pool: every connection held");
        }
        return null;
    }).orElse(FaultClassifier.DEFAULT);

    @Override
    public java.util.Map<String, Long> counters() {
        return java.util.Map.of("db connections opened", pool.opened(), "db connections closed after failing",
                pool.droppedBroken());
    }

    @Override
    public FaultClassifier classifier() {
        return CLASSIFIER;
    }

    @Override
    public void close() {
        shared.shutdownNow();
        try {
            shared.awaitTermination(cap.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pool.close();
        http.close();
    }
}
