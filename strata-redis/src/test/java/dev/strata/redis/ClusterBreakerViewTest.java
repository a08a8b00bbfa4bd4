package dev.strata.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.ManualClock;
import dev.strata.chaos.ChaosProxy;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import dev.strata.resilience.CircuitBreaker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Seed 000's "singleton circuit breaker": four instances of a service call "payments"; the
 * network path of some of them breaks (a ChaosProxy in front of payments for those instances).
 * Breakers stay per instance; the shared view on a real Redis tells where the problem is, and
 * only an opt-in vote opens a healthy instance's breaker.
 */
class ClusterBreakerViewTest {

    private EmbeddedRedis redis;
    private ServerSocket payments;
    private Thread acceptor;
    private final List<ChaosProxy> proxies = new ArrayList<>();
    private final List<Instance> instances = new ArrayList<>();
    private final ManualClock clock = new ManualClock();
    private final EventBus bus = EventBus.detached();
    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();
    private final String dependency = "payments-" + System.nanoTime();

    /** One service instance: its own breaker, its own path to payments, its own view client. */
    private final class Instance {
        final CircuitBreaker breaker;
        final InetSocketAddress path;
        final ClusterBreakerView view;

        Instance(String id, InetSocketAddress path, double vote) {
            this.breaker = CircuitBreaker.builder(dependency).mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES)
                    .failureThreshold(3).openWait(Duration.ofSeconds(30)).clock(clock).events(bus).build();
            this.path = path;
            ClusterBreakerView.Builder b = ClusterBreakerView.builder(id, redis.connect()).timeout(Duration.ofSeconds(2))
                    .events(bus);
            this.view = (vote > 0 ? b.vote(vote) : b).build().register(breaker);
        }

        /** One call to payments through this instance's breaker; true when it answered. */
        boolean call() {
            try {
                return breaker.execute(() -> {
                    try (Socket s = new Socket()) {
                        s.connect(path, 1_000);
                        s.setSoTimeout(1_000);
                        return "ok".equals(new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine());
                    }
                });
            } catch (Exception refusedOrFailed) {
                return false;
            }
        }
    }

    @BeforeEach
    void start() throws IOException {
        redis = new EmbeddedRedis();
        payments = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofPlatform().daemon().start(() -> {
            while (!payments.isClosed()) {
                try (Socket s = payments.accept(); OutputStream out = s.getOutputStream()) {
                    out.write("ok\n".getBytes(StandardCharsets.UTF_8));
                } catch (IOException closed) {
                    // the server socket was closed by the test, or a client went away
                }
            }
        });
        bus.subscribe(events::add);
    }

    @AfterEach
    void stop() throws Exception {
        for (Instance i : instances) {
            i.view.close();
        }
        for (ChaosProxy p : proxies) {
            p.close();
        }
        payments.close();
        acceptor.join(Duration.ofSeconds(5));
        redis.close();
    }

    /** Instances 0..proxied-1 reach payments through a ChaosProxy each; the rest directly. */
    private void instances(int count, int proxied, double vote) {
        InetSocketAddress direct = new InetSocketAddress(InetAddress.getLoopbackAddress(), payments.getLocalPort());
        for (int i = 0; i < count; i++) {
            InetSocketAddress path = direct;
            if (i < proxied) {
                ChaosProxy proxy = ChaosProxy.start("path-" + i, direct);
                proxies.add(proxy);
                path = proxy.listenAddress();
            }
            instances.add(new Instance("instance-" + i, path, vote));
        }
    }

    private void everyoneCalls(int times) {
        for (Instance i : instances) {
            for (int n = 0; n < times; n++) {
                i.call();
            }
        }
    }

    private void everyonePublishes() {
        for (Instance i : instances) {
            assertThat(i.view.publish()).isEqualTo(1);
        }
    }

    @Test
    void oneBrokenPathOpensOnlyThatInstancesBreakerAndTheViewSaysSo() {
        instances(4, 1, 0);
        everyoneCalls(2);
        proxies.get(0).disable(); // instance 0's network path to payments breaks; payments is fine
        everyoneCalls(5);
        everyonePublishes();

        assertThat(instances.get(0).breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        for (int i = 1; i < 4; i++) {
            assertThat(instances.get(i).breaker.state()).as("instance %d keeps its own judgement", i)
                    .isEqualTo(CircuitBreaker.State.CLOSED);
            assertThat(instances.get(i).call()).isTrue();
        }
        ClusterBreakerState view = instances.get(2).view.view(dependency).orElseThrow();
        assertThat(view.summary()).isEqualTo(dependency + " open on 1 of 4 instances");
        assertThat(view.instances()).extracting(ClusterBreakerState.Instance::instanceId)
                .containsExactly("instance-0", "instance-1", "instance-2", "instance-3");
        assertThat(view.instances().get(0).state()).isEqualTo("OPEN");
        assertThat(events).noneMatch(e -> e.type().startsWith("breaker.cluster-vote"));
    }

    @Test
    void anOptInVoteOpensAHealthyInstanceOnlyAboveItsShareAndReleasesIt() {
        instances(4, 3, 0.5);
        proxies.get(0).disable();
        everyoneCalls(5);
        everyonePublishes();
        // 1 of 4 open: not more than half, nobody is outvoted
        assertThat(instances.get(3).breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(instances.get(1).breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);

        proxies.get(1).disable();
        proxies.get(2).disable();
        everyoneCalls(5);
        everyonePublishes();
        everyonePublishes(); // the healthy instance reads the others' latest reports
        assertThat(instances.get(3).breaker.state()).as("3 of 4 open > 50%%: the vote opens the healthy instance")
                .isEqualTo(CircuitBreaker.State.FORCED_OPEN);
        assertThat(instances.get(3).view.openedByVote(dependency)).isTrue();
        ClusterBreakerState view = instances.get(3).view.view(dependency).orElseThrow();
        assertThat(view.summary()).isEqualTo(dependency + " open on 3 of 4 instances"); // its own report stays CLOSED
        assertThat(events).anyMatch(e -> e.type().equals("breaker.cluster-vote-opened"));

        // the paths heal; after their open wait the broken instances probe, succeed and close
        proxies.forEach(ChaosProxy::enable);
        clock.advance(Duration.ofSeconds(31));
        for (int i = 0; i < 3; i++) {
            assertThat(instances.get(i).call()).isTrue();
            assertThat(instances.get(i).breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        }
        everyonePublishes();
        instances.get(3).view.publish();
        assertThat(instances.get(3).breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(instances.get(3).view.openedByVote(dependency)).isFalse();
        assertThat(events).anyMatch(e -> e.type().equals("breaker.cluster-vote-released"));
    }

    @Test
    void instancesThatStopReportingLeaveTheView() throws Exception {
        instances(2, 0, 0);
        everyonePublishes();
        try (ClusterBreakerView shortLived = ClusterBreakerView.builder("observer", redis.connect())
                .staleAfter(Duration.ofMillis(300)).build()) {
            assertThat(shortLived.view(dependency).orElseThrow().total()).isEqualTo(2);
            Thread.sleep(400); // server time, not a clock we can move
            assertThat(shortLived.view(dependency).orElseThrow().total()).isZero();
        }
    }

    /**
     * Item 12: an unchecked exception from the Redis client (here Lettuce's RedisException thrown
     * synchronously by async(), as it does for a connection in a broken state) must not end the
     * scheduled publishing: a ScheduledExecutorService silently drops a task that threw once.
     */
    @Test
    void scheduledPublishingSurvivesAnUncheckedExceptionAndEventsTheStreakOnce() throws Exception {
        CircuitBreaker breaker = CircuitBreaker.builder(dependency).clock(clock).events(bus).build();
        AtomicBoolean failing = new AtomicBoolean(true);
        AtomicInteger attempts = new AtomicInteger();
        StatefulRedisConnection<String, String> real = redis.connect();
        @SuppressWarnings("unchecked")
        StatefulRedisConnection<String, String> flaky = (StatefulRedisConnection<String, String>) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {StatefulRedisConnection.class}, (proxy, method, args) -> {
                    if (method.getName().equals("async")) {
                        attempts.incrementAndGet();
                        if (failing.get()) {
                            throw new RedisException("injected: connection in a broken state");
                        }
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        long threadsBefore = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("strata-cluster-breakers-")).count();
        try (ClusterBreakerView view = ClusterBreakerView.builder("flaky", flaky).events(bus).build().register(breaker)) {
            view.start(Duration.ofMillis(10));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (attempts.get() < 5 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(attempts.get()).as("publishing goes on after the first exception").isGreaterThanOrEqualTo(5);
            failing.set(false);
            boolean reported = false;
            while (!reported && System.nanoTime() < deadline) {
                reported = real.sync().hexists("strata:breakers:" + dependency, "flaky");
                Thread.sleep(5);
            }
            assertThat(reported).as("the state reaches Redis once the client recovers").isTrue();
            while (events.stream().noneMatch(e -> e.type().equals("breaker.cluster-publish-recovered"))
                    && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        }
        assertThat(events.stream().filter(e -> e.type().equals("breaker.cluster-publish-failed")
                && e.level() == System.Logger.Level.WARNING)).as("one warning per failure streak").hasSize(1);
        assertThat(events).filteredOn(e -> e.type().equals("breaker.cluster-publish-failed") && e.level() == System.Logger.Level.WARNING)
                .first().satisfies(e -> assertThat(e.message()).contains("injected"));
        assertThat(events.stream().filter(e -> e.type().equals("breaker.cluster-publish-recovered"))).hasSize(1);
        real.close();
        long threadsAfter = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("strata-cluster-breakers-")).count();
        assertThat(threadsAfter).isEqualTo(threadsBefore);
    }
}
