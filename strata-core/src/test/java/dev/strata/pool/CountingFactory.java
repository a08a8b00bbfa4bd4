package dev.strata.pool;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A resource factory for pool tests: its resources are plain objects that a test can "kill",
 * and it counts what the pool asks of it (creations in flight, live resources, pings).
 */
final class CountingFactory implements ResourceFactory<CountingFactory.Resource> {

    static final class Resource {
        final int id;
        volatile boolean alive = true;
        volatile boolean closed;

        Resource(int id) {
            this.id = id;
        }

        @Override
        public String toString() {
            return "resource-" + id;
        }
    }

    final AtomicInteger created = new AtomicInteger();
    final AtomicInteger live = new AtomicInteger();
    final AtomicInteger peakLive = new AtomicInteger();
    final AtomicInteger creating = new AtomicInteger();
    final AtomicInteger peakCreating = new AtomicInteger();
    final AtomicInteger pings = new AtomicInteger();
    final AtomicInteger validations = new AtomicInteger();
    final List<Resource> all = new CopyOnWriteArrayList<>();
    private final Duration createDelay;

    CountingFactory() {
        this(Duration.ZERO);
    }

    CountingFactory(Duration createDelay) {
        this.createDelay = createDelay;
    }

    @Override
    public Resource create() throws InterruptedException {
        peakCreating.accumulateAndGet(creating.incrementAndGet(), Math::max);
        try {
            if (!createDelay.isZero()) {
                Thread.sleep(createDelay);
            }
            Resource resource = new Resource(created.incrementAndGet());
            peakLive.accumulateAndGet(live.incrementAndGet(), Math::max);
            all.add(resource);
            return resource;
        } finally {
            creating.decrementAndGet();
        }
    }

    @Override
    public boolean validate(Resource resource, Duration timeout) {
        validations.incrementAndGet();
        return resource.alive;
    }

    @Override
    public boolean keepalive(Resource resource, Duration timeout) {
        pings.incrementAndGet();
        return resource.alive;
    }

    @Override
    public void close(Resource resource) {
        if (!resource.closed) {
            resource.closed = true;
            live.decrementAndGet();
        }
    }
}
