package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.CallContext;
import dev.strata.call.Deadline;
import dev.strata.fault.FaultKind;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Timeouts against real work: a real socket to a local server that never answers, and sleeping
 * attempts. Real time is unavoidable here; bounds are generous because the machine is shared.
 */
class TimeoutTest {

    private static final long MS = 1_000_000L;

    private final Events events = new Events();

    /** A local server that accepts connections and never writes a byte; counts connections it saw closed. */
    private static final class SilentServer implements AutoCloseable {
        final ServerSocket server;
        final AtomicInteger closedByClient = new AtomicInteger();
        final Thread acceptor;

        SilentServer() throws Exception {
            server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            acceptor = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread.ofVirtual().start(() -> {
                            try (s; InputStream in = s.getInputStream()) {
                                in.read(); // the client never writes: returns -1 / throws when the client closes
                            } catch (Exception closed) {
                                // reset by the client: also a close
                            }
                            closedByClient.incrementAndGet();
                        });
                    } catch (Exception stop) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws java.io.IOException {
            server.close();
            try {
                acceptor.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static int readOneByte(int port) throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return socket.getInputStream().read(); // blocks: the server never answers
        }
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean() && System.nanoTime() < end) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Test
    void timeoutActuallyFiresOnABlockedSocketRead() throws Exception {
        try (SilentServer server = new SilentServer()) {
            Pipeline p = Pipeline.builder("payments").timeout(Duration.ofMillis(200)).events(events.bus).build();
            long start = System.nanoTime();
            assertThatThrownBy(() -> p.execute(() -> readOneByte(server.port())))
                    .isInstanceOfSatisfying(AttemptTimeoutException.class, e -> {
                        assertThat(e.kind()).isEqualTo(FaultKind.ATTEMPT_TIMEOUT);
                        assertThat(e.layer()).isEqualTo(dev.strata.fault.Layer.RESILIENCE);
                        assertThat(e.timeoutNanos()).isEqualTo(200 * MS);
                    });
            long took = System.nanoTime() - start;
            assertThat(took).isGreaterThanOrEqualTo(200 * MS).isLessThan(5_000 * MS);
        }
    }

    @Test
    void resourcesAreReleasedAfterTimeout() throws Exception {
        try (SilentServer server = new SilentServer()) {
            Pipeline p = Pipeline.builder("payments").timeout(Duration.ofMillis(100)).events(events.bus).build();
            for (int i = 0; i < 5; i++) {
                assertThatThrownBy(() -> p.execute(() -> readOneByte(server.port()))).isInstanceOf(AttemptTimeoutException.class);
            }
            // The interrupted virtual thread closed its socket: the server sees every connection end.
            awaitTrue(() -> server.closedByClient.get() == 5);
            assertThat(server.closedByClient).hasValue(5);
            awaitTrue(() -> p.inFlightAttempts() == 0);
            assertThat(p.inFlightAttempts()).isZero();
        }
    }

    @Test
    void timeoutRaisesARetryableFaultSoRetryCatchesIt() {
        AtomicInteger calls = new AtomicInteger();
        Pipeline p = Pipeline.builder("payments").timeout(Duration.ofMillis(50))
                .retry(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(5))).build())
                .events(events.bus).build();
        assertThatThrownBy(() -> p.execute(() -> {
            calls.incrementAndGet();
            Thread.sleep(30_000);
            return "never";
        })).isInstanceOfSatisfying(RetriesExhaustedException.class, e -> {
            assertThat(e.lastFault().kind()).isEqualTo(FaultKind.ATTEMPT_TIMEOUT);
            assertThat(e.getCause()).isInstanceOf(AttemptTimeoutException.class);
        });
        assertThat(calls).hasValue(3);
    }

    @Test
    void theAttemptSeesTheDeadlineAndContextOnItsOwnThread() {
        Pipeline p = Pipeline.builder("payments").deadline(Duration.ofSeconds(30)).timeout(Duration.ofSeconds(10))
                .events(events.bus).build();
        CallContext ctx = CallContext.idempotent("payments");
        AtomicReference<Thread> ran = new AtomicReference<>();
        Duration left = p.execute(ctx, () -> {
            ran.set(Thread.currentThread());
            assertThat(CallContext.current()).isSameAs(ctx);
            return Deadline.current().remaining();
        });
        assertThat(left).isLessThanOrEqualTo(Duration.ofSeconds(30)).isGreaterThan(Duration.ofSeconds(20));
        assertThat(ran.get().isVirtual()).isTrue();
        assertThat(Deadline.current()).isNull();
    }

    @Test
    void aShorterEnclosingDeadlineBindsTheAttemptAndIsReportedAsSuch() throws Exception {
        Pipeline p = Pipeline.builder("payments").timeout(Duration.ofSeconds(10)).events(events.bus).build();
        long start = System.nanoTime();
        Deadline.after(Duration.ofMillis(150)).call(() -> {
            assertThatThrownBy(() -> p.execute(() -> {
                Thread.sleep(30_000);
                return "never";
            })).isInstanceOf(DeadlineExceededException.class);
            return null;
        });
        assertThat(System.nanoTime() - start).isLessThan(5_000 * MS);
    }

    @Test
    void asyncTimeoutFailsTheFutureAndCancelsTheAttempt() throws Exception {
        CompletableFuture<String> never = new CompletableFuture<>();
        CompletableFuture<String> bounded = Timeout.of(Duration.ofMillis(100)).callAsync(() -> never);
        assertThatThrownBy(() -> bounded.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(AttemptTimeoutException.class);
        assertThat(never).isCancelled();
    }

    @Test
    void standaloneTimeoutReturnsAFastResultAndRethrowsTheAttemptsFailure() throws Exception {
        Timeout timeout = Timeout.of(Duration.ofSeconds(5));
        assertThat(timeout.call(() -> "fast")).isEqualTo("fast");
        IllegalStateException boom = new IllegalStateException("boom");
        assertThatThrownBy(() -> timeout.call(() -> {
            throw boom;
        })).isSameAs(boom);
        awaitTrue(() -> timeout.inFlight() == 0);
        assertThat(timeout.inFlight()).isZero();
    }

    @Test
    void interruptingTheCallerAbandonsTheAttempt() throws Exception {
        Pipeline p = Pipeline.builder("payments").timeout(Duration.ofSeconds(30)).events(events.bus).build();
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Throwable> seen = new AtomicReference<>();
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                p.execute(() -> {
                    started.countDown();
                    Thread.sleep(60_000);
                    return "never";
                });
            } catch (Throwable t) {
                seen.set(t);
            }
        });
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        caller.interrupt();
        caller.join(Duration.ofSeconds(10));
        assertThat(caller.isAlive()).isFalse();
        assertThat(seen.get()).isInstanceOf(dev.strata.fault.StrataException.class).hasMessageContaining("interrupted");
        awaitTrue(() -> p.inFlightAttempts() == 0);
        assertThat(p.inFlightAttempts()).isZero();
    }

    @Test
    void noLeakAfterAThousandTimedOutCalls() throws Exception {
        Pipeline p = Pipeline.builder("payments").timeout(Duration.ofMillis(1)).events(events.bus).build();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20; i++) { // warm up: carrier threads of the virtual-thread scheduler start once
            runTimedOut(p);
        }
        awaitTrue(() -> p.inFlightAttempts() == 0);
        int platformBefore = threads.getThreadCount();
        int activeBefore = Thread.activeCount();
        for (int i = 0; i < 1_000; i++) {
            runTimedOut(p);
        }
        awaitTrue(() -> p.inFlightAttempts() == 0 && threads.getThreadCount() <= platformBefore);
        assertThat(p.inFlightAttempts()).as("attempt threads still running").isZero();
        assertThat(threads.getThreadCount()).as("live platform threads").isLessThanOrEqualTo(platformBefore);
        assertThat(Thread.activeCount()).isLessThanOrEqualTo(activeBefore);
    }

    private static void runTimedOut(Pipeline p) {
        assertThatThrownBy(() -> p.execute(() -> {
            Thread.sleep(10_000);
            return "never";
        })).isInstanceOf(AttemptTimeoutException.class);
    }

    /** Runs {@code body} on a virtual thread and rethrows what it threw. */
    private static void onVirtualThread(ThrowingRunnable body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = Thread.ofVirtual().start(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        thread.join(Duration.ofSeconds(60));
        assertThat(thread.isAlive()).isFalse();
        if (failure.get() instanceof Exception e) {
            throw e;
        }
        if (failure.get() instanceof Error e) {
            throw e;
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aVirtualCallerIsInterruptedOnItsOwnThreadAndTheSocketIsClosedWithNoInterruptLeftBehind() throws Exception {
        try (SilentServer server = new SilentServer()) {
            Pipeline p = Pipeline.builder("payments").timeout(Duration.ofMillis(100)).events(events.bus).build();
            onVirtualThread(() -> {
                Thread caller = Thread.currentThread();
                AtomicReference<Thread> ranOn = new AtomicReference<>();
                for (int i = 0; i < 3; i++) {
                    assertThatThrownBy(() -> p.execute(() -> {
                        ranOn.set(Thread.currentThread());
                        return readOneByte(server.port());
                    })).isInstanceOf(AttemptTimeoutException.class);
                    assertThat(Thread.currentThread().isInterrupted()).as("interrupt cleared").isFalse();
                }
                assertThat(ranOn.get()).isSameAs(caller);
                Thread.sleep(5); // would throw if an interrupt had been left behind
                assertThat(p.<String>execute(() -> "fast")).isEqualTo("fast");
            });
            awaitTrue(() -> server.closedByClient.get() == 3);
            assertThat(server.closedByClient).hasValue(3);
            assertThat(p.inFlightAttempts()).isZero();
        }
    }

    @Test
    void noLeakAfterAThousandTimedOutCallsFromVirtualThreads() throws Exception {
        Pipeline p = Pipeline.builder("payments").timeout(Duration.ofMillis(1)).events(events.bus).build();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        onVirtualThread(() -> runTimedOut(p));
        int platformBefore = threads.getThreadCount();
        onVirtualThread(() -> {
            for (int i = 0; i < 1_000; i++) {
                runTimedOut(p);
                assertThat(Thread.currentThread().isInterrupted()).isFalse();
            }
        });
        awaitTrue(() -> p.inFlightAttempts() == 0 && threads.getThreadCount() <= platformBefore);
        assertThat(p.inFlightAttempts()).isZero();
        assertThat(threads.getThreadCount()).isLessThanOrEqualTo(platformBefore);
    }
}
