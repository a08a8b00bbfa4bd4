package dev.strata.chaos;

import dev.strata.internal.Require;
import dev.strata.fault.Layer;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP proxy on 127.0.0.1 that breaks the connections through it on purpose, the way real
 * networks, load balancers, NATs and databases break them. Toxics ({@link Toxic}) can be
 * added, updated and removed while traffic flows; each applies from the next chunk of data
 * on, and its toxicity is rolled once per connection.
 *
 * <pre>{@code
 * try (ChaosProxy proxy = ChaosProxy.start("postgres", database.address())) {
 *     proxy.addToxic(Toxic.idleBlackhole(2_000));
 *     connectTo(proxy.listenAddress());
 * }
 * }</pre>
 *
 * <p>Guarantees: every connection is pumped by two virtual threads with blocking I/O and no
 * platform thread per connection; closing, disabling or a toxic's close releases both sockets
 * and both threads; every wait a toxic adds ends when its connection closes. Disabled means new
 * connections are refused and existing ones are closed.
 */
public final class ChaosProxy implements AutoCloseable {

    /** How often the timer checks timeout and idle toxics; their precision. */
    private static final long TICK_NANOS = 5_000_000L;
    private static final long IDLE_TIMER_PARK_NANOS = 1_000_000_000L;

    private final String name;
    private final Duration connectTimeout;
    private final EventBus events;
    private final ThreadFactory threads;
    private final AtomicInteger liveThreads = new AtomicInteger();
    private final ProxyListener listener;

    /** Guards configuration changes; never held while doing I/O on a connection. */
    private final ReentrantLock lock = new ReentrantLock();
    private final ToxicChains toxics = new ToxicChains();

    private volatile InetSocketAddress listen;
    private volatile InetSocketAddress upstream;
    private volatile boolean enabled;
    private volatile boolean closed;
    private final Thread timer;

    private ChaosProxy(Builder builder) {
        this.name = builder.name;
        this.listen = builder.listen;
        this.upstream = builder.upstream;
        this.connectTimeout = builder.connectTimeout;
        this.events = builder.events;
        this.threads = Thread.ofVirtual().name("chaos-" + name + "-", 0).factory();
        this.listener = new ProxyListener(this, connectTimeout);
        this.timer = Thread.ofVirtual().name("chaos-" + name + "-timer").unstarted(this::runTimer);
    }

    /** A proxy named {@code name} listening on a free port of 127.0.0.1, enabled, with no toxics. */
    public static ChaosProxy start(String name, InetSocketAddress upstream) {
        return builder(name, upstream).start();
    }

    /** A builder for a proxy in front of {@code upstream}. */
    public static Builder builder(String name, InetSocketAddress upstream) {
        return new Builder(name, upstream);
    }

    /** The proxy's unique name, as in Toxiproxy's API. */
    public String name() {
        return name;
    }

    /** The address clients connect to; its port is the real one even when 0 was asked for. */
    public InetSocketAddress listenAddress() {
        return listen;
    }

    /** The listen port, shorthand for tests building URLs. */
    public int port() {
        return listen.getPort();
    }

    /** Where the proxy forwards each connection. */
    public InetSocketAddress upstreamAddress() {
        return upstream;
    }

    /** Whether the proxy accepts and forwards connections; a disabled proxy refuses them. */
    public boolean isEnabled() {
        return enabled;
    }

    /** Connections now open through the proxy. */
    public int connectionCount() {
        return listener.connections().size();
    }

    /** Virtual threads this proxy is running now (pumps, connects, accept loop, timer). */
    public int liveThreadCount() {
        return liveThreads.get();
    }

    /**
     * Starts accepting again on the same address. Does nothing when already enabled.
     *
     * @throws UncheckedIOException when the address is taken meanwhile
     */
    public void enable() {
        lock.lock();
        try {
            ensureOpen();
            if (enabled) {
                return;
            }
            listen = listener.bind(listen);
            enabled = true;
        } finally {
            lock.unlock();
        }
        publish("chaos.proxy-enabled", "proxy " + name + " enabled on " + format(listen) + " -> " + format(upstream));
    }

    /** Refuses new connections and closes every open one. Does nothing when already disabled. */
    public void disable() {
        lock.lock();
        try {
            if (!enabled) {
                return;
            }
            enabled = false;
            listener.unbind();
        } finally {
            lock.unlock();
        }
        listener.closeAll();
        publish("chaos.proxy-disabled", "proxy " + name + " disabled: connections refused and closed");
    }

    /**
     * Points new connections at another upstream; open connections keep theirs.
     */
    public void setUpstream(InetSocketAddress newUpstream) {
        Require.nonNull("upstream", newUpstream);
        upstream = newUpstream;
        publish("chaos.proxy-updated", "proxy " + name + " upstream now " + format(newUpstream));
    }

    /**
     * Moves the proxy to another listen address, closing open connections, as Toxiproxy does.
     *
     * @throws UncheckedIOException when the address is in use
     */
    public void setListenAddress(InetSocketAddress newListen) {
        Require.nonNull("listen", newListen);
        lock.lock();
        try {
            ensureOpen();
            InetSocketAddress previous = listen;
            if (enabled) {
                listener.unbind();
                listen = newListen;
                try {
                    listen = listener.bind(listen);
                } catch (UncheckedIOException e) {
                    listen = previous;
                    listen = listener.bind(listen);
                    throw e;
                }
            } else {
                listen = newListen;
            }
        } finally {
            lock.unlock();
        }
        listener.closeAll();
        publish("chaos.proxy-updated", "proxy " + name + " now listens on " + format(listen));
    }

    /**
     * Adds a toxic; it applies to open connections from their next chunk on, and its clock
     * (for {@code timeout}) starts now.
     *
     * @return the toxic as stored
     * @throws IllegalStateException when a toxic of that name exists on this proxy
     */
    public Toxic addToxic(Toxic toxic) {
        Require.nonNull("toxic", toxic);
        ToxicEntry entry;
        lock.lock();
        try {
            ensureOpen();
            if (toxics.get(toxic.name()) != null) {
                throw new IllegalStateException("toxic already exists: " + toxic.name());
            }
            entry = toxics.put(toxic);
        } finally {
            lock.unlock();
        }
        for (ProxyConnection connection : listener.connections()) {
            connection.toxicAdded(entry);
        }
        LockSupport.unpark(timer);
        publish("chaos.toxic-added", "proxy " + name + ": toxic added " + toxic);
        return toxic;
    }

    /**
     * Replaces the toxic of the same name. Open connections see the new version from their next
     * chunk on, with a fresh toxicity roll and fresh timers.
     *
     * @return the toxic as stored
     * @throws NoSuchElementException when there is no toxic of that name
     */
    public Toxic updateToxic(Toxic toxic) {
        Require.nonNull("toxic", toxic);
        ToxicEntry previous;
        ToxicEntry entry;
        lock.lock();
        try {
            previous = toxics.get(toxic.name());
            if (previous == null) {
                throw new NoSuchElementException("toxic not found: " + toxic.name());
            }
            entry = toxics.put(toxic);
        } finally {
            lock.unlock();
        }
        for (ProxyConnection connection : listener.connections()) {
            connection.toxicRemoved(previous);
            connection.toxicAdded(entry);
        }
        LockSupport.unpark(timer);
        publish("chaos.toxic-updated", "proxy " + name + ": toxic updated " + toxic);
        return toxic;
    }

    /**
     * Removes a toxic; open connections are healed from their next chunk on (a connection
     * already black-holed by {@code idle_blackhole} stays so: that flow is gone).
     *
     * @throws NoSuchElementException when there is no toxic of that name
     */
    public void removeToxic(String toxicName) {
        ToxicEntry removed;
        lock.lock();
        try {
            removed = toxics.remove(toxicName);
            if (removed == null) {
                throw new NoSuchElementException("toxic not found: " + toxicName);
            }
        } finally {
            lock.unlock();
        }
        for (ProxyConnection connection : listener.connections()) {
            connection.toxicRemoved(removed);
        }
        publish("chaos.toxic-removed", "proxy " + name + ": toxic removed " + toxicName);
    }

    /**
     * Closes every connection open through the proxy now, both its client and its upstream
     * socket, with a FIN, and keeps listening: new connections are accepted as before. This is
     * how to get rid of connections a toxic has poisoned for good, which removing the toxic does
     * not heal: a flow black-holed by {@code idle_blackhole}, or one whose data a {@code timeout}
     * toxic dropped. Clients see their connections end (read returns end of stream) and must
     * reconnect, as after a server restart. Connections still being set up while this runs are
     * not guaranteed to be closed.
     *
     * @return how many connections it closed
     */
    public int closeConnections() {
        int closedNow = listener.closeAll();
        publish("chaos.connections-closed", "proxy " + name + ": closed " + closedNow + " open connection"
                + (closedNow == 1 ? "" : "s") + ", still listening on " + format(listen));
        return closedNow;
    }

    /** Removes every toxic. */
    public void removeAllToxics() {
        for (Toxic toxic : toxics()) {
            try {
                removeToxic(toxic.name());
            } catch (NoSuchElementException raced) {
                // removed concurrently: the goal is reached either way
            }
        }
    }

    /** The toxics in the order they were added. */
    public List<Toxic> toxics() {
        List<Toxic> result = new ArrayList<>();
        for (ToxicEntry entry : toxics.all()) {
            result.add(entry.toxic());
        }
        return result;
    }

    /** The toxic of that name, if present. */
    public Optional<Toxic> toxic(String toxicName) {
        for (ToxicEntry entry : toxics.all()) {
            if (entry.toxic().name().equals(toxicName)) {
                return Optional.of(entry.toxic());
            }
        }
        return Optional.empty();
    }

    /**
     * Stops listening, closes every connection and ends every thread of this proxy. When it
     * returns, {@link #connectionCount()} is zero, unless closing a connection or giving up on
     * one still being opened upstream took longer than the connect timeout.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            enabled = false;
            listener.unbind();
        } finally {
            lock.unlock();
        }
        listener.closeAll();
        // A client accepted just before unbind() may still be connecting upstream (it closes itself
        // once it sees the proxy closed), and a connection another thread is closing leaves the set
        // only when that close ends. Wait for both, bounded by the connect timeout, so close()
        // leaves nothing behind.
        long end = System.nanoTime() + connectTimeout.toNanos() + 100_000_000L;
        while (!listener.isIdle() && System.nanoTime() - end < 0) {
            listener.closeAll();
            LockSupport.parkNanos(1_000_000L);
        }
        LockSupport.unpark(timer);
        publish("chaos.proxy-closed", "proxy " + name + " closed");
    }

    /** Whether {@link #close()} was called; a closed proxy cannot be reopened. */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "ChaosProxy[" + name + " " + format(listen) + " -> " + format(upstream) + (enabled ? "" : ", disabled")
                + ", " + toxics.all().length + " toxics, " + listener.connections().size() + " connections]";
    }

    // --- package-private hooks for connections -------------------------------------------

    /** The toxics; a connection keeps this and reads its chains per chunk. */
    ToxicChains chains() {
        return toxics;
    }

    void connectionClosed(ProxyConnection connection) {
        listener.connectionClosed(connection);
    }

    Thread startThread(Runnable task) {
        liveThreads.incrementAndGet();
        Thread thread = threads.newThread(() -> {
            try {
                task.run();
            } finally {
                liveThreads.decrementAndGet();
            }
        });
        thread.start();
        return thread;
    }

    // --- internals --------------------------------------------------------------------------

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("proxy " + name + " is closed");
        }
    }

    private void runTimer() {
        LIVE_TIMERS.add(name);
        try {
            tick();
        } finally {
            LIVE_TIMERS.remove(name);
            liveThreads.decrementAndGet();
        }
    }

    /** Names of proxies whose timer thread runs, across the JVM; for leak tests of proxies never returned. */
    static final Set<String> LIVE_TIMERS = ConcurrentHashMap.newKeySet();

    private void tick() {
        while (!closed) {
            ToxicEntry[] timed = toxics.timed();
            if (timed.length == 0) {
                LockSupport.parkNanos(this, IDLE_TIMER_PARK_NANOS);
                continue;
            }
            long now = System.nanoTime();
            for (ProxyConnection connection : listener.connections()) {
                connection.checkTimers(now, timed);
            }
            LockSupport.parkNanos(this, TICK_NANOS);
        }
    }

    private void publish(String type, String message) {
        if (events.isActive(Level.INFO)) {
            events.publish(new BasicEvent(System.currentTimeMillis(), name, type, Layer.NETWORK, Level.INFO, null, message));
        }
    }

    static String format(InetSocketAddress address) {
        return address.getAddress() == null ? address.getHostString() + ":" + address.getPort()
                : address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    /** Options of a proxy; {@link #start()} binds it and returns it enabled. */
    public static final class Builder {
        private final String name;
        private final InetSocketAddress upstream;
        private InetSocketAddress listen = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private EventBus events = EventBus.root();
        private boolean enabled = true;

        private Builder(String name, InetSocketAddress upstream) {
            this.name = Require.notBlank("name", name);
            this.upstream = Require.nonNull("upstream", upstream);
        }

        /** Where to listen; default 127.0.0.1 on a free port. */
        public Builder listen(InetSocketAddress address) {
            this.listen = Require.nonNull("listen", address);
            return this;
        }

        /** Bound on connecting to the upstream for each new client; default 5 s, allowed 1 ms..5 min. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = Require.between("connectTimeout", timeout, Duration.ofMillis(1), Duration.ofMinutes(5));
            return this;
        }

        /** Where proxy and toxic changes are published; default the root bus, which logs them. */
        public Builder events(EventBus bus) {
            this.events = Require.nonNull("events", bus);
            return this;
        }

        /** Whether the proxy starts enabled; default true. */
        public Builder enabled(boolean startEnabled) {
            this.enabled = startEnabled;
            return this;
        }

        /**
         * Creates the proxy, binding its listen address when enabled.
         *
         * @throws UncheckedIOException when the address is in use
         */
        public ChaosProxy start() {
            ChaosProxy proxy = new ChaosProxy(this);
            proxy.liveThreads.incrementAndGet();
            proxy.timer.start();
            if (enabled) {
                try {
                    proxy.enable();
                } catch (RuntimeException bindFailed) {
                    proxy.close(); // nobody gets this proxy: its timer must not outlive the failure
                    throw bindFailed;
                }
            }
            return proxy;
        }
    }
}
