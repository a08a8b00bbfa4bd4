package dev.strata.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.Direction;
import dev.strata.chaos.Toxic;
import dev.strata.fault.Layer;
import dev.strata.network.Connected;
import dev.strata.network.Connector;
import dev.strata.observe.EventBus;
import dev.strata.resilience.AdaptiveLimit;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Jitter;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import dev.strata.testsupport.Await;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** L3 findings and the remote side, each produced for real against an HTTP server or through the ChaosProxy. */
class DiagnoserResilienceTest {

    private static void callQuietly(Pipeline pipeline, Downstream downstream) {
        try {
            pipeline.execute(downstream::get);
        } catch (RuntimeException expected) {
            // failing calls are the scenario
        }
    }

    @Test
    void aDependencyAnswering503IsDependencyFailingWithBreakerAndRetryEvidence() throws Exception {
        EventBus bus = EventBus.detached();
        CircuitBreaker breaker = CircuitBreaker.builder("payments").events(bus).mode(CircuitBreaker.Mode.COUNT_WINDOW)
                .windowSize(10).minimumCalls(5).failureRateThreshold(0.5).openWait(Duration.ofSeconds(30)).build();
        Pipeline pipeline = Pipeline.builder("payments").events(bus).circuitBreaker(breaker)
                .retry(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(5))).jitter(Jitter.NONE).build())
                .build();
        try (Downstream payments = new Downstream(n -> 503, n -> 2);
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).breaker(breaker).build()).start()) {
            long faultAt = System.nanoTime();
            for (int i = 0; i < 12; i++) {
                callQuietly(pipeline, payments);
            }
            Verdict v = Scenario.awaitFirst(diagnoser, "dependency-failing", Layer.REMOTE, faultAt).first();
            assertThat(v.evidence()).containsEntry("breakerState", "OPEN");
            assertThat((Long) v.evidence().get("remoteFailures")).isGreaterThanOrEqualTo(15);
            assertThat((Long) v.evidence().get("breakerRejected")).isPositive();
            assertThat(v.evidence().get("failuresByKind").toString()).contains("REMOTE/server-error");
        }
    }

    @Test
    void retriesThatMultiplyTheLoadAreARetryStorm() throws Exception {
        EventBus bus = EventBus.detached();
        // a breaker that tolerates the dependency's normal failure rate, so what stands out is the retries
        CircuitBreaker breaker = CircuitBreaker.builder("search").events(bus).mode(CircuitBreaker.Mode.COUNT_WINDOW)
                .windowSize(20).minimumCalls(10).failureRateThreshold(0.9).build();
        Pipeline pipeline = Pipeline.builder("search").events(bus).circuitBreaker(breaker)
                .retry(Retry.builder().maxAttempts(8).backoff(Backoff.fixed(Duration.ofMillis(1))).jitter(Jitter.NONE).build())
                .build();
        // 3 of every 4 requests fail: the dependency is overloaded, and every caller hammers it 8 times
        try (Downstream search = new Downstream(n -> n % 4 == 3 ? 200 : 503, n -> 1);
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).breaker(breaker).build()).start()) {
            long faultAt = System.nanoTime();
            for (int i = 0; i < 15; i++) {
                callQuietly(pipeline, search);
            }
            Verdict v = Scenario.awaitFirst(diagnoser, "retry-storm", Layer.RESILIENCE, faultAt).first();
            assertThat((Double) v.evidence().get("attemptsPerTroubledCall")).isGreaterThanOrEqualTo(2.0);
            assertThat(search.requests()).isGreaterThanOrEqualTo(4 * 15);
        }
    }

    @Test
    void retriesSucceedingAfterConnectionResetsAreMaskingL1() throws Exception {
        EventBus bus = EventBus.detached();
        try (ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             ChaosProxy path = ChaosProxy.start("ledger", new InetSocketAddress("127.0.0.1", echo.getLocalPort()));
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build()).start()) {
            Thread server = Thread.ofVirtual().start(() -> serveEcho(echo));
            // about half the connections are reset by the path once data flows: an L1 fault
            path.addToxic(Toxic.resetPeer(Direction.DOWNSTREAM, 0).withToxicity(0.5));
            Connector connector = Connector.builder("ledger").events(bus).build();
            Pipeline pipeline = Pipeline.builder("ledger").events(bus)
                    .retry(Retry.builder().maxAttempts(10).backoff(Backoff.fixed(Duration.ofMillis(1))).jitter(Jitter.NONE).build())
                    .build();
            long faultAt = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                pipeline.execute(() -> roundTrip(connector, path.port()));
            }
            Verdict v = Scenario.awaitFirst(diagnoser, "retries-masking-lower-layer", Layer.NETWORK, faultAt).first();
            assertThat((Long) v.evidence().get("retriesSucceeded")).isPositive();
            assertThat(v.evidence().get("failuresByKind").toString()).contains("NETWORK/");
            echo.close();
            server.join(Duration.ofSeconds(5));
        }
    }

    private static void serveEcho(ServerSocket echo) {
        while (!echo.isClosed()) {
            try {
                Socket s = echo.accept();
                Thread.ofVirtual().start(() -> {
                    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        int b;
                        while ((b = in.read()) >= 0) {
                            out.write(b);
                            out.flush();
                        }
                    } catch (Exception ignored) {
                        // reset by the proxy: that is the scenario
                    }
                });
            } catch (Exception closed) {
                return;
            }
        }
    }

    private static int roundTrip(Connector connector, int port) throws Exception {
        Connected c = connector.connect("127.0.0.1", port);
        try (Socket s = c.socket()) {
            s.setSoTimeout(2_000);
            s.getOutputStream().write('x');
            s.getOutputStream().flush();
            int answer = s.getInputStream().read();
            if (answer < 0) {
                throw new java.net.SocketException("Connection reset");
            }
            return answer;
        }
    }

    @Test
    void aBreakerWhoseThresholdSitsInTheNormalFailureRateFlaps() throws Exception {
        EventBus bus = EventBus.detached();
        CircuitBreaker breaker = CircuitBreaker.builder("recommendations").events(bus).mode(CircuitBreaker.Mode.COUNT_WINDOW)
                .windowSize(10).minimumCalls(5).failureRateThreshold(0.2).openWait(Duration.ofMillis(50))
                .halfOpenPermits(1).build();
        Pipeline pipeline = Pipeline.builder("recommendations").events(bus).circuitBreaker(breaker).build();
        // 3 requests in 10 fail, always: the dependency's normal rate, above the breaker's 20 %
        try (Downstream recs = new Downstream(n -> n % 10 < 3 ? 503 : 200, n -> 1);
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).breaker(breaker).build()).start()) {
            long faultAt = System.nanoTime();
            long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            while (System.nanoTime() < end && breakerCycles(diagnoser) < 3) {
                callQuietly(pipeline, recs);
                Thread.sleep(2);
            }
            Verdict v = Scenario.awaitFirst(diagnoser, "breaker-flapping", Layer.RESILIENCE, faultAt).first();
            assertThat((Long) v.evidence().get("breakerOpened")).isGreaterThanOrEqualTo(3);
            assertThat((Long) v.evidence().get("breakerClosed")).isGreaterThanOrEqualTo(2);
        }
    }

    private static long breakerCycles(Diagnoser diagnoser) {
        Verdict v = diagnoser.diagnose().verdict("breaker-flapping");
        return v == null ? 0 : (Long) v.evidence().get("breakerOpened");
    }

    @Test
    void aTimeoutBelowTheOperationsNormalLatencyIsTooTight() throws Exception {
        EventBus bus = EventBus.detached();
        // a fast operation (5 ms) with a slow tail: one request in four takes 120 ms, past the 50 ms timeout
        try (Downstream prices = new Downstream(n -> 200, n -> n % 4 == 0 ? 120 : 5);
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build()).start()) {
            Pipeline pipeline = Pipeline.builder("prices").events(bus).timeout(Duration.ofMillis(50))
                    .interceptor(diagnoser.latencyProbe("prices", 1))
                    .retry(Retry.builder().maxAttempts(4).backoff(Backoff.fixed(Duration.ofMillis(1))).jitter(Jitter.NONE).build())
                    .build();
            long faultAt = System.nanoTime();
            for (int i = 0; i < 30; i++) {
                callQuietly(pipeline, prices);
            }
            Verdict v = Scenario.awaitFirst(diagnoser, "timeout-too-tight", Layer.RESILIENCE, faultAt).first();
            assertThat(v.evidence()).containsEntry("attemptTimeoutMillis", 50L);
            assertThat((Long) v.evidence().get("measuredP50Millis")).isLessThan(50L);
            assertThat((Long) v.evidence().get("timeoutsFired")).isGreaterThanOrEqualTo(5);
        }
    }

    @Test
    void aDependencyThatTurnedSlowIsDependencySlowNotATimeoutProblem() throws Exception {
        EventBus bus = EventBus.detached();
        try (Downstream shipping = new Downstream(n -> 200, n -> 300); // every answer takes 300 ms now
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build()).start()) {
            Pipeline pipeline = Pipeline.builder("shipping").events(bus).timeout(Duration.ofMillis(50))
                    .retry(Retry.builder().maxAttempts(2).backoff(Backoff.fixed(Duration.ofMillis(1))).jitter(Jitter.NONE).build())
                    .build();
            long faultAt = System.nanoTime();
            for (int i = 0; i < 4; i++) {
                callQuietly(pipeline, shipping);
            }
            Verdict v = Scenario.awaitFirst(diagnoser, "dependency-slow", Layer.REMOTE, faultAt).first();
            assertThat((Long) v.evidence().get("timeoutsFired")).isGreaterThanOrEqualTo(5);
            assertThat(v.evidence()).containsEntry("attemptTimeoutMillis", 50L).containsEntry("retriesSucceeded", 0L);
            assertThat(diagnoser.diagnose().verdict("timeout-too-tight")).isNull();
        }
    }

    @Test
    void aSlowDependencyDrivesItsAdaptiveLimitToTheMinimumAndTheLimitRecoversWithIt() throws Exception {
        EventBus bus = EventBus.detached();
        AtomicLong delayMillis = new AtomicLong(2);
        AdaptiveLimit limit = AdaptiveLimit.builder("inventory").events(bus).initialLimit(8).minLimit(2).maxLimit(50)
                .window(Duration.ofMillis(50)).minSamples(2).build();
        Pipeline pipeline = Pipeline.builder("inventory").events(bus).timeout(Duration.ofMillis(50)).adaptiveLimit(limit).build();
        AtomicBoolean stop = new AtomicBoolean();
        try (Downstream inventory = new Downstream(n -> 200, n -> delayMillis.get());
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build()).start();
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
             AutoCloseable stopCallers = () -> stop.set(true)) { // closes first, so a failed assertion cannot hang the executor's close
            // a cold JVM's first calls (class loading, the first connections) can outlive 50 ms: warm the
            // path up on a pipeline nobody observes, so the baseline the limit learns is the real one
            Pipeline warmUp = Pipeline.builder("warm-up").events(EventBus.detached()).timeout(Duration.ofSeconds(5)).build();
            for (int i = 0; i < 200; i++) {
                callQuietly(warmUp, inventory);
            }
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                running.add(callers.submit(() -> {
                    while (!stop.get()) {
                        callQuietly(pipeline, inventory);
                        Thread.sleep(2); // a refused caller comes back a little later
                    }
                    return null;
                }));
            }
            Thread.sleep(500); // the limit learns the 2 ms baseline
            assertThat(diagnoser.diagnose().healthy()).as(diagnoser.diagnose().toText()).isTrue();

            delayMillis.set(300); // every call now outlives its 50 ms timeout: a drop for the limit
            long faultAt = System.nanoTime();
            Scenario.awaitFirst(diagnoser, "dependency-slow", Layer.REMOTE, faultAt);
            Diagnosis d = Scenario.await(diagnoser, x -> x.verdict("adaptive-limit-at-minimum") != null, faultAt, Scenario.WITHIN);
            assertThat(d.first().id()).as(d.toText()).isEqualTo("dependency-slow");
            assertThat(d.first().explains()).as(d.toText()).contains("adaptive-limit-at-minimum");
            Verdict atMinimum = d.verdict("adaptive-limit-at-minimum");
            assertThat(atMinimum).as(d.toText()).isNotNull();
            assertThat(atMinimum.layer()).isEqualTo(Layer.RESILIENCE);
            assertThat(atMinimum.dependency()).isEqualTo("inventory");
            assertThat(atMinimum.state()).isEqualTo(Verdict.State.ACTIVE);
            assertThat(atMinimum.evidence()).containsEntry("minimumLimit", 2L).containsEntry("atMinimumNow", true);
            assertThat(limit.limit()).isEqualTo(2);

            delayMillis.set(2); // the dependency is fast again: the limit leaves its minimum by itself
            Await.until(Scenario.WITHIN, () -> limit.limit() > limit.minLimit());
            assertThat(limit.limit()).as("limit after the dependency healed").isGreaterThan(2);
            Verdict left = diagnoser.diagnose().verdict("adaptive-limit-at-minimum");
            assertThat(left).isNotNull();
            assertThat(left.evidence()).containsEntry("atMinimumNow", false);
            // its latest evidence is the moment the limit left: active for ACTIVE_FOR after that, then recovering
            d = Scenario.await(diagnoser, x -> x.verdict("adaptive-limit-at-minimum") != null
                    && x.verdict("adaptive-limit-at-minimum").state() != Verdict.State.ACTIVE,
                    System.nanoTime(), Diagnoser.ACTIVE_FOR.plus(Scenario.WITHIN));
            left = d.verdict("adaptive-limit-at-minimum");
            assertThat(left.state()).as(d.toText()).isEqualTo(Verdict.State.RECOVERING);
            assertThat(left.evidence()).containsEntry("atMinimumNow", false);

            stop.set(true);
            for (Future<?> f : running) {
                f.get(10, TimeUnit.SECONDS);
            }
            assertThat(limit.inFlight()).isZero();
            assertThat(pipeline.inFlightAttempts()).isZero();
        }
    }
}
