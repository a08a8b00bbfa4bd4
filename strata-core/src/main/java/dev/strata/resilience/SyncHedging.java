package dev.strata.resilience;

import dev.strata.call.CallContext;
import dev.strata.call.Deadline;
import dev.strata.fault.FaultClassifier;
import java.lang.System.Logger.Level;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Synchronous hedging of one attempt: the caller's thread waits while the attempt and its hedges
 * run on virtual threads, and takes the first success.
 */
final class SyncHedging {

    private final String name;
    private final Hedge hedge;
    private final Timeout timeout;
    private final RetryBudget budget;
    private final AtomicInteger inFlight;
    private final FaultClassifier classifier;
    private final PipelineEvents report;
    private final RetryDecisions decisions;

    SyncHedging(Pipeline p) {
        this.name = p.name;
        this.hedge = p.hedge;
        this.timeout = p.timeout;
        this.budget = p.budget;
        this.inFlight = p.inFlight;
        this.classifier = p.classifier;
        this.report = p.report;
        this.decisions = p.decisions;
    }

    /**
     * Runs the attempt on a virtual thread, adding a hedge each time {@link Hedge#delay()} passes
     * without a success (or at once when every running attempt has failed), up to the limit and
     * as far as the budget allows. The first success wins; the others are interrupted. Each
     * hedge is bounded by the timeout from its own start and by the deadline.
     */
    <T> T hedged(CallContext ctx, Deadline d, Callable<T> work, int n) throws Exception {
        int slots = 1 + hedge.maxHedges();
        @SuppressWarnings({"unchecked", "rawtypes"})
        BoundedAttempt<T>[] running = new BoundedAttempt[slots];
        long[] ends = new long[slots];
        long[] bounds = new long[slots];
        boolean[] settled = new boolean[slots];
        int launched = 0;
        boolean mayHedge = true;
        Exception lastFailure = null;
        long nextHedgeAt = 0;
        try {
            while (true) {
                long now = System.nanoTime();
                boolean anyRunning = false;
                for (int i = 0; i < launched; i++) {
                    if (settled[i]) {
                        continue;
                    }
                    if (running[i].isDone()) {
                        settled[i] = true;
                        try {
                            return running[i].result();
                        } catch (Exception failure) {
                            if (!decisions.mayRepeat(ctx, classifier.classify(failure), failure)) {
                                throw failure; // e.g. a 404: the answer, not a reason to ask again
                            }
                            lastFailure = failure;
                        }
                    } else if (now - ends[i] >= 0 && running[i].abandon()) {
                        settled[i] = true;
                        lastFailure = boundExceeded(d, ends[i]);
                        if (report.isActive(Level.WARNING)) {
                            report.fired(n, bounds[i], lastFailure instanceof DeadlineExceededException);
                        }
                    } else {
                        anyRunning = true;
                    }
                }
                boolean due = launched == 0 || !anyRunning || now - nextHedgeAt >= 0;
                if (due && launched < slots && mayHedge) {
                    if (launched > 0 && budget != null && !budget.tryWithdraw()) {
                        mayHedge = false;
                    } else {
                        long left = d == null ? Long.MAX_VALUE : d.remainingNanos();
                        if (left == 0) {
                            mayHedge = false;
                        } else {
                            long bound = timeout == null ? left : Math.min(timeout.nanos(), left);
                            if (launched > 0) {
                                report.hedgeStarted(launched, hedge.maxHedges(), hedge.delayNanos());
                            }
                            running[launched] = BoundedAttempt.start(work, d, ctx, inFlight);
                            ends[launched] = now + bound;
                            bounds[launched] = bound;
                            launched++;
                            nextHedgeAt = now + hedge.delayNanos();
                            anyRunning = true;
                        }
                    }
                }
                if (!anyRunning) {
                    if (lastFailure == null) {
                        throw DeadlineExceededException.noTimeFor(name, n, "deadline passed before attempt " + n);
                    }
                    throw lastFailure;
                }
                long wake = Long.MAX_VALUE;
                for (int i = 0; i < launched; i++) {
                    if (!settled[i]) {
                        wake = Math.min(wake, ends[i] - now);
                    }
                }
                if (launched < slots && mayHedge) {
                    wake = Math.min(wake, nextHedgeAt - now);
                }
                if (wake > 0) {
                    LockSupport.parkNanos(this, wake);
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        } finally {
            for (int i = 0; i < launched; i++) {
                running[i].abandon(); // the losers (no-op for the winner and the finished)
            }
        }
    }

    private Exception boundExceeded(Deadline d, long end) {
        if (d != null && d.isExpired()) {
            return new DeadlineExceededException(name, "attempt cut at the deadline", "the deadline passed during a hedged attempt", null);
        }
        return new AttemptTimeoutException(name, timeout == null ? 0L : timeout.nanos());
    }
}
