package dev.strata.shop.demo;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An open-loop load generator: requests are sent at a fixed arrival rate per endpoint, whether or
 * not earlier ones have answered, so a slow service cannot slow the load down (a closed loop would
 * hide exactly the pile-up the demo is about). Each request runs on its own virtual thread.
 *
 * <p>Bounded: at most {@code maxInFlight} requests of this generator are outstanding; an arrival
 * beyond that is not sent and is counted as dropped, like a load balancer shedding a connection.
 */
final class LoadGenerator {

    /** The work behind one endpoint; returns how it answered or throws how it failed. */
    @FunctionalInterface
    interface Endpoint {
        Answer call(long requestId) throws Exception;
    }

    /**
     * A successful answer: normal, or degraded by a fallback that knows why it was used.
     *
     * @param fallback whether a fallback answered
     * @param reason why the fallback was used, as the policy saw it (e.g. {@code RESILIENCE/circuit-open})
     * @param root the fault underneath, for "which layer broke" (e.g. {@code REMOTE/server-error})
     */
    record Answer(boolean fallback, Fault reason, Fault root) {
        static final Answer OK = new Answer(false, null, null);

        static Answer fallback(Fault reason, Fault root) {
            return new Answer(true, reason, root == null ? reason : root);
        }
    }

    /**
     * One endpoint's traffic.
     *
     * @param endpoint its name, e.g. {@code catalog}
     * @param perSecond arrivals per second
     * @param call the work
     * @param stats where outcomes are recorded
     */
    record Stream(String endpoint, double perSecond, Endpoint call, EndpointStats stats) {
    }

    private final String variant;
    private final int maxInFlight;
    private final FaultClassifier classifier;
    private final AtomicLong requestIds = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private int inFlight;

    LoadGenerator(String variant, int maxInFlight, FaultClassifier classifier) {
        this.variant = variant;
        this.maxInFlight = maxInFlight;
        this.classifier = classifier;
    }

    String variant() {
        return variant;
    }

    /**
     * Sends the streams' traffic from {@code startNanos} (System.nanoTime) for {@code durationNanos},
     * then returns; requests still in flight carry on (see {@link #awaitIdle(long)}). Arrivals of the
     * streams are spread evenly and offset from each other so they do not all land on the same tick.
     */
    void run(List<Stream> streams, long startNanos, long durationNanos) throws InterruptedException {
        int n = streams.size();
        long[] interval = new long[n];
        long[] next = new long[n];
        for (int i = 0; i < n; i++) {
            interval[i] = Math.max(1L, (long) (1e9 / streams.get(i).perSecond()));
            next[i] = startNanos + interval[i] * i / n;
        }
        long end = startNanos + durationNanos;
        while (true) {
            int due = 0;
            for (int i = 1; i < n; i++) {
                if (next[i] < next[due]) {
                    due = i;
                }
            }
            if (next[due] >= end) {
                return;
            }
            long wait = next[due] - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
                if (Thread.interrupted()) {
                    throw new InterruptedException("load generator " + variant + " interrupted");
                }
                continue; // parkNanos may return early; re-check the schedule
            }
            dispatch(streams.get(due));
            next[due] += interval[due];
        }
    }

    private void dispatch(Stream stream) {
        lock.lock();
        try {
            if (inFlight >= maxInFlight) {
                stream.stats().dropped();
                return;
            }
            inFlight++;
        } finally {
            lock.unlock();
        }
        sent.incrementAndGet();
        long id = requestIds.incrementAndGet();
        Thread.ofVirtual().name("demo-" + variant + "-" + stream.endpoint() + "-" + id).start(() -> execute(stream, id));
    }

    private void execute(Stream stream, long id) {
        long start = System.nanoTime();
        try {
            Answer answer = stream.call().call(id);
            stream.stats().answered(System.nanoTime() - start, answer.fallback(), answer.reason(), answer.root());
        } catch (Exception failure) {
            if (failure instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            stream.stats().failed(System.nanoTime() - start, RootFault.of(classifier, failure));
        } catch (Error error) {
            // Counted like any failed request, then left to propagate: an Error is not an outcome to hide.
            stream.stats().failed(System.nanoTime() - start, RootFault.of(classifier, error));
            throw error;
        } finally {
            lock.lock();
            try {
                if (--inFlight == 0) {
                    idle.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Requests sent so far (not counting dropped ones). */
    long sent() {
        return sent.get();
    }

    /** Requests sent and not yet answered. */
    int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until no request is in flight, at most {@code timeoutNanos}.
     *
     * @return true when idle, false when requests were still outstanding at the bound
     */
    boolean awaitIdle(long timeoutNanos) throws InterruptedException {
        lock.lock();
        try {
            long left = timeoutNanos;
            while (inFlight > 0) {
                if (left <= 0) {
                    return false;
                }
                left = idle.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "LoadGenerator[" + variant + ", in flight " + inFlight() + "/" + maxInFlight + ", sent " + sent() + "]";
    }
}
