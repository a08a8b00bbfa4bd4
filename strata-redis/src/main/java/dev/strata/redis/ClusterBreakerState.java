package dev.strata.redis;

import java.time.Duration;
import java.util.List;

/**
 * What the instances of a service report about their own breakers for one dependency, as read
 * from the shared view. Informational: "payments open on 1 of 8 instances" points at one
 * instance's network path, not at payments.
 *
 * @param dependency the breaker (dependency) name
 * @param instances every instance that reported recently, with its own breaker's state
 */
public record ClusterBreakerState(String dependency, List<Instance> instances) {

    /**
     * One instance's report.
     *
     * @param instanceId the reporting instance
     * @param state its own breaker's state ({@code CLOSED}, {@code OPEN}, {@code HALF_OPEN},
     *              {@code FORCED_OPEN}, {@code DISABLED}); an instance whose breaker was opened by
     *              a cluster vote reports its own judgement, {@code CLOSED}
     * @param age how long ago it reported (Redis server time)
     */
    public record Instance(String instanceId, String state, Duration age) {

        /** Whether this instance's own breaker refuses calls (open, half-open or forced open). */
        public boolean open() {
            return !state.equals("CLOSED") && !state.equals("DISABLED");
        }
    }

    public ClusterBreakerState {
        instances = List.copyOf(instances);
    }

    /** Instances that reported recently. */
    public int total() {
        return instances.size();
    }

    /** Instances whose own breaker is not closed. */
    public int open() {
        return (int) instances.stream().filter(Instance::open).count();
    }

    /** {@link #open()} / {@link #total()}, 0 when nobody reported. */
    public double openShare() {
        return instances.isEmpty() ? 0.0 : (double) open() / total();
    }

    /** {@code payments open on 1 of 8 instances}. */
    public String summary() {
        return dependency + " open on " + open() + " of " + total() + " instance" + (total() == 1 ? "" : "s");
    }
}
