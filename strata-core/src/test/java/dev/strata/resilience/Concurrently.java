package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Runs a task on N real platform threads released together by a start gate; fails on any error
 * or hang, and checks afterwards that every caller thread has ended (no thread leak).
 */
final class Concurrently {

    @FunctionalInterface
    interface Task {
        void run(int index) throws Exception;
    }

    private Concurrently() {
    }

    static void run(int threads, Task task) throws Exception {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        List<Thread> callers = new CopyOnWriteArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "concurrent-caller-" + callers.size());
            callers.add(t);
            return t;
        })) {
            for (int i = 0; i < threads; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    task.run(index);
                    return null;
                }));
            }
            assertThat(ready.await(30, TimeUnit.SECONDS)).as("all threads started").isTrue();
            start.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        // close() waited for the tasks; the worker threads themselves must end too (no leak)
        for (Thread t : callers) {
            t.join(Duration.ofSeconds(30));
            assertThat(t.isAlive()).as("%s ended", t.getName()).isFalse();
        }
    }
}
