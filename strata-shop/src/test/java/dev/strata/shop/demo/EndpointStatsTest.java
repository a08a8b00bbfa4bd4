package dev.strata.shop.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import org.junit.jupiter.api.Test;

class EndpointStatsTest {

    @Test
    void percentilesAreExactNearestRank() {
        EndpointStats stats = new EndpointStats();
        for (int i = 1; i <= 1000; i++) {
            stats.answered(i * 1_000_000L, false, null, null);
        }
        EndpointStats.Summary summary = stats.summary();
        assertThat(summary.p50Nanos()).isEqualTo(500_000_000L);
        assertThat(summary.p99Nanos()).isEqualTo(990_000_000L);
        assertThat(summary.maxNanos()).isEqualTo(1_000_000_000L);
        assertThat(EndpointStats.percentile(new long[0], 0.99)).isZero();
    }

    @Test
    void fallbacksCountAsAnswersAndTheirCausesAsFaultsOfTheirLayer() {
        EndpointStats stats = new EndpointStats();
        stats.answered(1, false, null, null);
        stats.answered(1, true, Fault.of(FaultKind.CIRCUIT_OPEN), Fault.of(FaultKind.CIRCUIT_OPEN));
        stats.failed(1, Fault.of(FaultKind.STALE_CONNECTION, "idle 4s"));
        stats.dropped();
        EndpointStats.Summary summary = stats.summary();
        assertThat(summary.requests()).isEqualTo(4);
        assertThat(summary.successRate()).isEqualTo(0.5);
        assertThat(summary.fallbackRate()).isEqualTo(0.25);
        assertThat(summary.errorRate()).isEqualTo(0.5);
        assertThat(summary.faultsByLayer()).containsEntry(Layer.RESILIENCE, 1L).containsEntry(Layer.NETWORK, 1L);
        assertThat(summary.fallbackReasons()).containsEntry("RESILIENCE/circuit-open", 1L);
    }

    @Test
    void arrivalMeterReportsAverageAndOneSecondPeak() {
        long start = 0;
        ArrivalMeter meter = new ArrivalMeter(start);
        // 10/s for 3 s, with a burst of 30 extra inside 200 ms in the middle second.
        for (int i = 0; i < 30; i++) {
            meter.record("recs", "naive", start + i * 100_000_000L);
        }
        for (int i = 0; i < 30; i++) {
            meter.record("recs", "naive", start + 1_500_000_000L + i * 5_000_000L);
        }
        ArrivalMeter.Load load = meter.load("recs", "naive", start, start + 3_000_000_000L);
        assertThat(load.requests()).isEqualTo(60);
        assertThat(load.perSecond()).isEqualTo(20.0);
        assertThat(load.peakPerSecond()).isEqualTo(40);
        assertThat(meter.load("recs", "strata", start, start + 3_000_000_000L).requests()).isZero();
    }
}
