package dev.strata.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.ManualClock;
import dev.strata.pool.PoolConfig;
import dev.strata.pool.PoolStats;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Item 12: the pool-sample ring must cover the configured window. With a 1 h window polled every
 * 250 ms a fixed ring of 512 polls covered only the last 128 s, so a starvation 10 minutes ago was
 * gone from a diagnosis that claims to look at the last hour. Polls are driven on a ManualClock.
 */
class PoolTrackWindowTest {

    private final ManualClock clock = new ManualClock();
    private final PoolConfig config = PoolConfig.builder("orders-db").maxSize(10).acquisitionTimeout(Duration.ofMillis(500)).build();
    private long acquisitions;
    private long timeouts;

    private PoolStats stats(int active, int waiting) {
        return new PoolStats("orders-db", 10, 10, active, 10 - active, waiting, acquisitions, timeouts, 10, 0, Map.of(), 0, 0,
                Duration.ofMillis(waiting > 0 ? 400 : 1), Duration.ofMillis(waiting > 0 ? 500 : 2), Duration.ofMillis(500));
    }

    /** Polls every 250 ms for {@code length}: starved (10 busy, 5 waiting, 2 timeouts/poll) or healthy. */
    private void run(PoolTrack track, Duration length, boolean starved) {
        for (long t = 0; t < length.toMillis(); t += 250) {
            clock.advance(Duration.ofMillis(250));
            acquisitions += starved ? 5 : 20;
            timeouts += starved ? 2 : 0;
            track.sample(clock.currentTimeMillis(), stats(starved ? 10 : 2, starved ? 5 : 0));
        }
    }

    @Test
    void aStarvationTenMinutesAgoIsStillInAOneHourWindowPolledEvery250Ms() {
        long window = Duration.ofHours(1).toMillis();
        PoolTrack track = new PoolTrack(window, 250);
        run(track, Duration.ofMinutes(5), false);
        long starvedFrom = clock.currentTimeMillis();
        run(track, Duration.ofMinutes(2), true);
        run(track, Duration.ofMinutes(10), false);

        long now = clock.currentTimeMillis();
        PoolTrack.Starvation s = track.starvation(now - window, config);
        assertThat(s).as("the starvation 10 minutes ago is inside the 1 h window").isNotNull();
        assertThat(s.evidence().get("acquisitionTimeouts")).isEqualTo(2L * 4 * 120);
        assertThat(s.sinceMillis()).isBetween(starvedFrom, starvedFrom + 10_000);
        assertThat(s.evidence().get("maxWaiting")).isEqualTo(5);
    }

    @Test
    void theRingCoversTheWholeWindowWithBoundedSlots() {
        long window = Duration.ofHours(1).toMillis();
        PoolTrack track = new PoolTrack(window, 250);
        run(track, Duration.ofMinutes(90), false);
        long now = clock.currentTimeMillis();
        assertThat(track.oldestMillis()).as("reaches back to the window's start").isLessThanOrEqualTo(now - window);
        assertThat(track.slots()).isLessThanOrEqualTo(512);
    }

    @Test
    void aShortWindowKeepsEveryPoll() {
        PoolTrack track = new PoolTrack(Duration.ofSeconds(60).toMillis(), 250);
        run(track, Duration.ofSeconds(30), false);
        assertThat(track.slots()).isEqualTo(120);
    }
}
