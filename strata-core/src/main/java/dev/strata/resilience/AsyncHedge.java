package dev.strata.resilience;

import dev.strata.call.CallContext;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Asynchronous hedging: launches an attempt, then another each time the hedge delay passes
 * without a success (or at once when all running ones failed), while hedges and budget last.
 * The first success completes it and cancels the rest.
 */
final class AsyncHedge<T> {
    private final Pipeline p;
    final CompletableFuture<T> result = new CompletableFuture<>();
    final CallContext ctx;
    final Supplier<CompletableFuture<T>> launcher;
    final List<CompletableFuture<T>> attempts = new ArrayList<>();
    final ReentrantLock lock = new ReentrantLock();
    int launched;
    int running;
    boolean mayHedge = true;
    Throwable lastFailure;
    ScheduledFuture<?> nextHedge;

    AsyncHedge(Pipeline p, CallContext ctx, Supplier<CompletableFuture<T>> launcher) {
        this.p = p;
        this.ctx = ctx;
        this.launcher = launcher;
    }

    CompletableFuture<T> start() {
        result.whenComplete((v, f) -> {
            lock.lock();
            try {
                if (nextHedge != null) {
                    nextHedge.cancel(false);
                }
                for (CompletableFuture<T> attempt : attempts) {
                    attempt.cancel(true); // no-op for the finished ones
                }
            } finally {
                lock.unlock();
            }
        });
        launch();
        return result;
    }

    /**
     * Launches one attempt if allowed; every launch after the first is a hedge and withdraws a
     * token. The attempt's stage is created outside the lock: the supplier is user code.
     */
    private void launch() {
        boolean announce = false;
        int hedgeNumber;
        Throwable settleWith = null;
        lock.lock();
        try {
            if (result.isDone()) {
                return;
            }
            if (launched > 0) {
                if (launched > p.hedge.maxHedges() || (p.budget != null && !p.budget.tryWithdraw())) {
                    mayHedge = false;
                    if (running == 0) {
                        settleWith = lastFailure;
                    }
                    return;
                }
                announce = p.report.isActive(Level.DEBUG);
            }
            hedgeNumber = launched;
            launched++;
            running++;
            if (launched <= p.hedge.maxHedges()) {
                if (nextHedge != null) {
                    nextHedge.cancel(false);
                }
                nextHedge = Scheduler.schedule(this::launch, p.hedge.delayNanos());
            }
        } finally {
            lock.unlock();
            if (settleWith != null) {
                result.completeExceptionally(settleWith); // outside the lock: completion runs callbacks
            }
        }
        if (announce) {
            p.report.hedgeStarted(hedgeNumber, p.hedge.maxHedges(), p.hedge.delayNanos());
        }
        CompletableFuture<T> attempt = launcher.get();
        boolean lost;
        lock.lock();
        try {
            attempts.add(attempt);
            lost = result.isDone(); // another attempt won while this one was being created
        } finally {
            lock.unlock();
        }
        if (lost) {
            attempt.cancel(true);
        }
        attempt.whenComplete((value, failure) -> {
            try {
                settle(value, failure);
            } catch (Throwable thrown) {
                // a user's classifier or retry predicate threw: end the hedged attempt with it rather than hang
                result.completeExceptionally(thrown);
            }
        });
    }

    /** Takes one attempt's outcome: a success wins; a failure may launch another attempt or settle the whole. */
    private void settle(T value, Throwable failure) {
        if (failure == null) {
            result.complete(value);
            return;
        }
        Throwable cause = RetryDecisions.unwrap(failure);
        boolean repeatable = p.decisions.mayRepeat(ctx, p.classifier.classify(cause), cause);
        boolean launchNow;
        boolean settle;
        lock.lock();
        try {
            running--;
            lastFailure = cause;
            if (!repeatable) {
                mayHedge = false; // e.g. a 404: the answer, not a reason to ask again
            }
            launchNow = running == 0 && mayHedge && launched <= p.hedge.maxHedges();
            settle = !repeatable || (running == 0 && !launchNow);
        } finally {
            lock.unlock();
        }
        if (settle) {
            result.completeExceptionally(cause); // outside the lock: completion runs callbacks
            return;
        }
        if (launchNow) {
            launch();
        }
    }
}
