package dev.strata.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.application.Strata;
import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.Direction;
import dev.strata.chaos.Toxic;
import dev.strata.fault.Layer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Faults one after another and at once, against a real runtime ({@link Diagnoser#of}) whose
 * dependencies are reached through ChaosProxy: an HTTP service and the embedded PostgreSQL. Each
 * fault's verdict heads the diagnosis within {@link Scenario#WITHIN}, and the runtime is healthy
 * within {@link #HEALTHY_WITHIN} of the fault's end, however recent the previous fault was.
 */
class DiagnoserLifecycleTest {

    /** The bound: healthy again within this time of the recovery. */
    static final Duration HEALTHY_WITHIN = Duration.ofSeconds(15);

    /** Calls one dependency back to back on a virtual thread until closed; failures are the scenario. */
    private static final class Traffic implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Traffic(String name, ThrowingRunnable call) {
            thread = Thread.ofVirtual().name("traffic-" + name).start(() -> {
                while (running.get()) {
                    try {
                        call.run();
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception expected) {
                        // the fault, seen by the caller
                    }
                }
            });
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            assertThat(thread.join(Duration.ofSeconds(10))).as("traffic thread stops").isTrue();
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static Strata runtime(ChaosProxy payments, ChaosProxy inventory, ChaosProxy db) {
        return Strata.builder().strict(true)
                .dependency("payments", d -> d.httpBaseUrl(URI.create("http://127.0.0.1:" + payments.port() + "/"))
                        .timeout(Duration.ofMillis(300)).deadline(Duration.ofMillis(900))
                        .retry(r -> r.maxAttempts(2)).retryBudget(b -> b.retryPercent(0.1).minRetriesPerSecond(1))
                        .breaker(b -> b.windowSize(10).minimumCalls(5).failureRateThreshold(0.5).openWait(Duration.ofSeconds(2))))
                .dependency("inventory", d -> d.httpBaseUrl(URI.create("http://127.0.0.1:" + inventory.port() + "/"))
                        .timeout(Duration.ofMillis(300)).deadline(Duration.ofMillis(900)).retry(r -> r.maxAttempts(2)))
                .dependency("orders-db", d -> d.jdbc("jdbc:postgresql://127.0.0.1:" + db.port() + "/postgres", "postgres",
                                "postgres").validationQuery("SELECT 1")
                        .pool(p -> p.maxSize(4).minIdle(2).acquisitionTimeout(Duration.ofMillis(500)))
                        .timeout(Duration.ofSeconds(1)).deadline(Duration.ofSeconds(2)).retry(r -> r.maxAttempts(2)))
                .build().start();
    }

    private static void get(Strata strata, String dependency) throws Exception {
        var client = strata.dependency(dependency).httpClient();
        HttpResponse<String> r = client.send(client.request("/").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
    }

    private static void query(Strata strata) throws Exception {
        strata.dependency("orders-db").execute(() -> {
            try (Connection c = strata.dependency("orders-db").dataSource().getConnection()) {
                return Scenario.selectOne(c, "SELECT 1");
            }
        });
    }

    /** {@link Scenario#await}, printing how long the diagnosis took. */
    private static Diagnosis await(Diagnoser diagnoser, Predicate<Diagnosis> until, long fromNanos, Duration bound)
            throws InterruptedException {
        Diagnosis d = Scenario.await(diagnoser, until, fromNanos, bound);
        // the number the bounds are about, for the record of a run
        System.out.printf("diagnosis: %s after %d ms%n", d.healthy() ? "healthy" : "first " + d.first().id() + " ["
                + d.first().dependency() + "]", (System.nanoTime() - fromNanos) / 1_000_000);
        return d;
    }

    private static Predicate<Diagnosis> firstIs(String id, String dependency) {
        return d -> d.first() != null && d.first().active() && d.first().id().equals(id)
                && d.first().dependency().equals(dependency);
    }

    @Test
    void aSecondFaultWithinTheFirstOnesWindowHeadsTheDiagnosis() throws Exception {
        try (Downstream paymentsServer = new Downstream(n -> 200, n -> 5);
             Downstream inventoryServer = new Downstream(n -> 200, n -> 5);
             ChaosProxy payments = ChaosProxy.start("payments", new InetSocketAddress("127.0.0.1", paymentsServer.port()));
             ChaosProxy inventory = ChaosProxy.start("inventory", new InetSocketAddress("127.0.0.1", inventoryServer.port()));
             ChaosProxy db = ChaosProxy.start("orders-db", new InetSocketAddress("127.0.0.1", Scenario.pgPort()));
             Strata strata = runtime(payments, inventory, db)) {
            Diagnoser diagnoser = Diagnoser.of(strata);
            List<Traffic> traffic = new ArrayList<>();
            try {
                traffic.add(new Traffic("payments", () -> get(strata, "payments")));
                traffic.add(new Traffic("orders-db", () -> query(strata)));
                assertThat(diagnoser.diagnose().healthy()).as(diagnoser.diagnose().toText()).isTrue();

                // A: payments answers in 1 s while its attempts time out at 300 ms
                payments.addToxic(Toxic.latency(Direction.DOWNSTREAM, 1_000, 0));
                long faultA = System.nanoTime();
                Diagnosis a = await(diagnoser, firstIs("dependency-slow", "payments"), faultA, Scenario.WITHIN);
                assertThat(a.first().layer()).isEqualTo(Layer.REMOTE);
                assertThat(a.verdict("retry-storm")).as("the retry budget holds: %s", a.toText()).isNull();

                payments.removeAllToxics();
                long recoveredA = System.nanoTime();
                await(diagnoser, Diagnosis::healthy, recoveredA, HEALTHY_WITHIN);

                // B, well inside A's 60 s window: the database stops accepting connections
                db.disable();
                long faultB = System.nanoTime();
                Diagnosis b = await(diagnoser, d -> d.first() != null && d.first().active()
                        && d.first().dependency().equals("orders-db"), faultB, Scenario.WITHIN);
                assertThat(b.first().layer()).as(b.toText()).isEqualTo(Layer.NETWORK);
                assertThat(b.active()).extracting(Verdict::dependency).as(b.toText()).doesNotContain("payments");
                assertThat(b.verdicts()).as("A is still listed, as recovering, or recent").noneMatch(
                        v -> v.dependency().equals("payments") && v.active());

                db.enable();
                long recoveredB = System.nanoTime();
                Diagnosis after = await(diagnoser, Diagnosis::healthy, recoveredB, HEALTHY_WITHIN);
                assertThat(after.verdicts().stream().filter(v -> v.dependency().equals("orders-db")))
                        .allMatch(v -> v.state() == Verdict.State.RECOVERING);
            } finally {
                for (Traffic t : traffic) {
                    t.close();
                }
            }
            assertThat(strata.dependency("orders-db").pool().orElseThrow().stats().active())
                    .as("every borrowed connection came back").isZero();
        }
    }

    @Test
    void twoFaultsAtOnceAreTwoActiveVerdictsEachOnItsDependency() throws Exception {
        try (Downstream paymentsServer = new Downstream(n -> 200, n -> 5);
             Downstream inventoryServer = new Downstream(n -> 200, n -> 5);
             ChaosProxy payments = ChaosProxy.start("payments", new InetSocketAddress("127.0.0.1", paymentsServer.port()));
             ChaosProxy inventory = ChaosProxy.start("inventory", new InetSocketAddress("127.0.0.1", inventoryServer.port()));
             ChaosProxy db = ChaosProxy.start("orders-db", new InetSocketAddress("127.0.0.1", Scenario.pgPort()));
             Strata strata = runtime(payments, inventory, db)) {
            Diagnoser diagnoser = Diagnoser.of(strata);
            List<Traffic> traffic = new ArrayList<>();
            try {
                traffic.add(new Traffic("payments", () -> get(strata, "payments")));
                traffic.add(new Traffic("inventory", () -> get(strata, "inventory")));
                payments.addToxic(Toxic.latency(Direction.DOWNSTREAM, 1_000, 0));
                inventory.disable();
                long fault = System.nanoTime();
                Diagnosis d = await(diagnoser, x -> x.active().stream().anyMatch(v -> v.id().equals("dependency-slow")
                        && v.dependency().equals("payments")) && x.active().stream().anyMatch(
                        v -> v.id().equals("connect-refused") && v.dependency().equals("inventory")), fault, Scenario.WITHIN);
                assertThat(d.active()).extracting(Verdict::dependency).as(d.toText()).containsOnly("payments", "inventory");
                assertThat(d.first().layer()).as("L1 first: %s", d.toText()).isEqualTo(Layer.NETWORK);

                payments.removeAllToxics();
                inventory.enable();
                await(diagnoser, Diagnosis::healthy, System.nanoTime(), HEALTHY_WITHIN);
            } finally {
                for (Traffic t : traffic) {
                    t.close();
                }
            }
        }
    }

    @Test
    void aDuplicatePoolEndsWhenTheRuntimeHoldingTheFirstOneCloses() throws Exception {
        // a config reload: the new runtime starts while the old one still holds its pool
        Strata old = Strata.builder().strict(false)
                .dependency("orders-db", d -> d.jdbc(Scenario.pgUrl(), "postgres", "postgres").pool(p -> p.maxSize(2)))
                .build().start();
        try (Strata reloaded = Strata.builder().strict(false)
                .dependency("orders-db", d -> d.jdbc(Scenario.pgUrl(), "postgres", "postgres").pool(p -> p.maxSize(2)))
                .build().start()) {
            Diagnoser diagnoser = Diagnoser.of(reloaded);
            long faultAt = System.nanoTime();
            Verdict v = Scenario.awaitFirst(diagnoser, "duplicate-pools", Layer.APPLICATION, faultAt).first();
            assertThat(v.dependency()).isEqualTo("orders-db");

            old.close();
            long closedAt = System.nanoTime();
            Diagnosis after = await(diagnoser, Diagnosis::healthy, closedAt, HEALTHY_WITHIN);
            assertThat(after.active()).isEmpty();
            assertThat(reloaded.findings()).as("the history keeps it").isNotEmpty();
            assertThat(reloaded.currentFindings()).as("but it is no longer true").isEmpty();
        } finally {
            old.close();
        }
    }
}
