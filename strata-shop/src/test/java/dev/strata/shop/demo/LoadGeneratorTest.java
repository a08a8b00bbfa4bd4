package dev.strata.shop.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.shop.demo.LoadGenerator.Answer;
import dev.strata.shop.demo.LoadGenerator.Stream;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import java.net.ConnectException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LoadGeneratorTest {

    @Test
    void sendsAtTheFixedRateAndClassifiesFailures() throws Exception {
        EndpointStats ok = new EndpointStats();
        EndpointStats failing = new EndpointStats();
        LoadGenerator generator = new LoadGenerator("test", 100, FaultClassifier.DEFAULT);
        generator.run(List.of(
                new Stream("ok", 50, id -> Answer.OK, ok),
                new Stream("failing", 20, id -> {
                    throw new ConnectException("Connection refused");
                }, failing)), System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(1000));
        assertThat(generator.awaitIdle(TimeUnit.SECONDS.toNanos(10))).isTrue();

        // Open loop on a fixed schedule: exactly rate x duration arrivals, whatever the scheduler jitter.
        assertThat(ok.summary().requests()).isEqualTo(50);
        assertThat(ok.summary().successRate()).isEqualTo(1.0);
        assertThat(failing.summary().requests()).isEqualTo(20);
        assertThat(failing.summary().errors()).isEqualTo(20);
        assertThat(failing.summary().faultsByKind()).containsEntry(FaultKind.CONNECTION_REFUSED.qualifiedName(), 20L);
    }

    @Test
    void aSlowEndpointDoesNotSlowTheLoadButIsCappedInFlight() throws Exception {
        EndpointStats stats = new EndpointStats();
        CountDownLatch release = new CountDownLatch(1);
        LoadGenerator generator = new LoadGenerator("test", 5, FaultClassifier.DEFAULT);
        generator.run(List.of(new Stream("stuck", 40, id -> {
            release.await(10, TimeUnit.SECONDS);
            return Answer.OK;
        }, stats)), System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(500));

        assertThat(generator.inFlight()).isEqualTo(5);
        assertThat(generator.awaitIdle(TimeUnit.MILLISECONDS.toNanos(50))).isFalse();
        release.countDown();
        assertThat(generator.awaitIdle(TimeUnit.SECONDS.toNanos(10))).isTrue();
        EndpointStats.Summary summary = stats.summary();
        assertThat(summary.requests()).isEqualTo(20);
        assertThat(summary.ok()).isEqualTo(5);
        assertThat(summary.dropped()).isEqualTo(15);
        assertThat(summary.successRate()).isEqualTo(0.25);
    }
}
