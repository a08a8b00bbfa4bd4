package dev.strata.pool;

import dev.strata.testsupport.Await;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** The pool's waiter line alone (issue 8, item 6a and the Pool split): offers and wake-ups. */
class WaiterLineTest {

    @Test
    void anOfferTakesTheLongestWaiterOutOfTheLineAndSkipsThoseWhoLeft() {
        WaiterLine line = new WaiterLine();
        WaiterLine.Waiter first = line.join(0);
        WaiterLine.Waiter second = line.join(1);
        WaiterLine.Waiter third = line.join(2);
        Object a = new Object();
        Object b = new Object();

        assertThat(line.offer(a)).isTrue();
        assertThat(first.slot()).isSameAs(a);
        assertThat(line.isHead(second)).as("the first left the line with its offer").isTrue();
        assertThat(line.leave(second, true)).as("no offer yet").isNull();
        assertThat(line.offer(b)).as("the second left without one: the third gets it").isTrue();
        assertThat(third.slot()).isSameAs(b);
        assertThat(line.offer(new Object())).as("no one is in line").isFalse();

        assertThat(line.leave(first, false)).as("an unused offer comes back to be passed on").isSameAs(a);
        assertThat(first.offer(new Object())).as("offers to a waiter who left fail").isFalse();

        third.clear(b); // its offer was claimed by someone else first: it goes back to the front
        WaiterLine.Waiter fourth = line.join(3);
        line.rejoinAtFront(third);
        assertThat(line.isHead(third)).isTrue();
        assertThat(line.markIfStarving(third, 100, 50)).as("it keeps its waiting time: counted at once").isEqualTo(Long.MAX_VALUE);
        assertThat(line.someoneStarving()).isTrue();
        Object c = new Object();
        assertThat(line.offer(c)).isTrue();
        assertThat(third.slot()).isSameAs(c);
        assertThat(line.isHead(fourth)).isTrue();
    }

    @Test
    void aRoomToCreateWakeUpSkipsAWaiterThatHasLeft() throws Exception {
        WaiterLine line = new WaiterLine();
        WaiterLine.Waiter gone = line.join(0);
        gone.leave(); // left, but not yet out of the queue: the race of the lost wake-up
        CountDownLatch joined = new CountDownLatch(1);
        AtomicReference<WaiterLine.Waiter> parked = new AtomicReference<>();
        CountDownLatch woken = new CountDownLatch(1);
        Thread waiter = Thread.ofVirtual().start(() -> {
            parked.set(line.join(1));
            joined.countDown();
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(30)); // returns only on unpark
            woken.countDown();
        });
        assertThat(joined.await(5, TimeUnit.SECONDS)).isTrue();
        Await.until(Duration.ofSeconds(5), () -> waiter.getState() == Thread.State.TIMED_WAITING || woken.getCount() == 0);

        line.signalRoom();

        assertThat(woken.await(5, TimeUnit.SECONDS)).as("the live waiter is woken, not the one leaving").isTrue();
        assertThat(line.waiting()).isEqualTo(2);
        WaiterLine.Waiter live = parked.get();
        assertThat(line.markIfStarving(live, 10, 50)).as("not starving yet: look again in 42 ns").isEqualTo(42);
        assertThat(line.someoneStarving()).isFalse();
        assertThat(line.markIfStarving(live, 100, 50)).isEqualTo(Long.MAX_VALUE);
        assertThat(line.someoneStarving()).isTrue();
        line.leave(live, true);
        assertThat(line.someoneStarving()).as("a starving waiter that leaves is no longer counted").isFalse();
    }
}
