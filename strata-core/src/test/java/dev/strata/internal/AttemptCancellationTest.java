package dev.strata.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** How the attempt running on a thread is found, in its slot or, when its slots are taken, in the thread-local. */
class AttemptCancellationTest {

    @Test
    void theAttemptIsFoundOnItsOwnThreadOnlyAndNotAfterItEnds() throws Exception {
        AttemptCancellation attempt = new AttemptCancellation();
        assertNull(AttemptCancellation.current());
        attempt.enter();
        try {
            assertSame(attempt, AttemptCancellation.current());
            AtomicReference<AttemptCancellation> seenElsewhere = new AtomicReference<>(attempt);
            Thread other = Thread.ofVirtual().start(() -> seenElsewhere.set(AttemptCancellation.current()));
            assertTrue(other.join(java.time.Duration.ofSeconds(5)));
            assertNull(seenElsewhere.get());
        } finally {
            attempt.exit();
        }
        assertNull(AttemptCancellation.current());
        attempt.abandon(Thread.currentThread()); // it has finished: nothing to cancel, nobody to interrupt
        assertFalse(Thread.interrupted());
    }

    @Test
    void manyAttemptsInFlightOnDistinctThreadsEachFindTheirOwn() throws Exception {
        int threads = 200;
        CountDownLatch allEntered = new CountDownLatch(threads);
        CountDownLatch leave = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        List<String> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < threads; i++) {
            started.add(Thread.ofVirtual().start(() -> {
                AttemptCancellation attempt = new AttemptCancellation();
                attempt.enter();
                try {
                    allEntered.countDown();
                    leave.await(10, TimeUnit.SECONDS);
                    if (AttemptCancellation.current() != attempt) {
                        wrong.add(Thread.currentThread().toString());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    attempt.exit();
                }
                if (AttemptCancellation.current() != null) {
                    wrong.add("after exit: " + Thread.currentThread());
                }
            }));
        }
        assertTrue(allEntered.await(10, TimeUnit.SECONDS));
        leave.countDown();
        for (Thread thread : started) {
            assertTrue(thread.join(java.time.Duration.ofSeconds(10)));
        }
        assertTrue(wrong.isEmpty(), () -> "attempts not found as their own: " + wrong);
    }

    @Test
    void whenEveryProbedSlotIsTakenTheAttemptFallsBackToTheThreadLocal() {
        // Attempts entered on one thread all probe the same slots: the ninth finds them taken.
        List<AttemptCancellation> nested = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            AttemptCancellation attempt = new AttemptCancellation();
            attempt.enter();
            nested.add(attempt);
        }
        try {
            AttemptCancellation found = AttemptCancellation.current();
            assertTrue(nested.contains(found));
            // Leave the slotted ones: the overflowed ones must still be found, through the thread-local.
            for (int i = 0; i < 8; i++) {
                nested.get(i).exit();
            }
            AttemptCancellation overflowed = AttemptCancellation.current();
            assertTrue(nested.subList(8, 12).contains(overflowed), "found " + overflowed);
        } finally {
            for (int i = 8; i < 12; i++) {
                nested.get(i).exit();
            }
        }
        assertNull(AttemptCancellation.current());
    }
}
