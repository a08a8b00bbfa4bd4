package dev.strata.resilience;

import java.util.Arrays;

/**
 * The circuit breakers guarding the logical calls the current thread is running attempts of,
 * outermost first. A pipeline refuses to use any of them again inside an attempt, because that
 * breaker would then count attempts instead of calls; this sees A → B → A, not only A → A.
 * {@link BoundedAttempt} carries a snapshot over to the attempt's own thread.
 *
 * <p>One mutable stack per thread, so entering and leaving a breaker on the sync hot path
 * allocates nothing once the thread has its stack.
 */
final class BreakerHold {

    // No initial value: a thread that never enters a breaker (an attempt's virtual thread) gets no stack.
    private static final ThreadLocal<BreakerHold> HELD = new ThreadLocal<>();
    private static final CircuitBreaker[] NONE = new CircuitBreaker[0];

    private CircuitBreaker[] held = new CircuitBreaker[4];
    private int depth;

    private BreakerHold() {
    }

    /** The current thread's stack, created on first use. */
    static BreakerHold current() {
        BreakerHold stack = HELD.get();
        if (stack == null) {
            stack = new BreakerHold();
            HELD.set(stack);
        }
        return stack;
    }

    /** Whether {@code breaker} guards a call the current thread is inside of; creates nothing. */
    static boolean heldByCurrentThread(CircuitBreaker breaker) {
        BreakerHold stack = HELD.get();
        return stack != null && stack.holds(breaker);
    }

    /** The current thread's held breakers, for an attempt about to run on another thread; creates nothing. */
    static CircuitBreaker[] snapshotOfCurrentThread() {
        BreakerHold stack = HELD.get();
        return stack == null ? NONE : stack.snapshot();
    }

    /** Whether {@code breaker} already guards a call this thread is inside of. */
    boolean holds(CircuitBreaker breaker) {
        for (int i = 0; i < depth; i++) {
            if (held[i] == breaker) {
                return true;
            }
        }
        return false;
    }

    /** Enters {@code breaker}; every push is matched by a {@link #pop()} in a finally block. */
    void push(CircuitBreaker breaker) {
        if (depth == held.length) {
            held = Arrays.copyOf(held, depth * 2);
        }
        held[depth++] = breaker;
    }

    void pop() {
        held[--depth] = null;
    }

    /** The breakers held now, for an attempt about to run on another thread. */
    CircuitBreaker[] snapshot() {
        return depth == 0 ? NONE : Arrays.copyOf(held, depth);
    }

    /** Makes the current thread (an attempt's own) hold {@code breakers}; undone by {@link #release(CircuitBreaker[])}. */
    static void adopt(CircuitBreaker[] breakers) {
        if (breakers.length == 0) {
            return; // the common case: no stack needed on the attempt's new thread (no allocation)
        }
        BreakerHold stack = current();
        for (CircuitBreaker breaker : breakers) {
            stack.push(breaker);
        }
    }

    static void release(CircuitBreaker[] breakers) {
        if (breakers.length == 0) {
            return;
        }
        BreakerHold stack = HELD.get();
        for (int i = 0; i < breakers.length; i++) {
            stack.pop();
        }
    }

    static IllegalStateException reentered(CircuitBreaker cb) {
        return new IllegalStateException("circuitBreaker '" + cb.name() + "' already guards the logical call this attempt"
                + " belongs to; using it again inside an attempt would count attempts instead of calls");
    }
}
