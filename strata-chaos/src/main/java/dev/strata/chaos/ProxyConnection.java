package dev.strata.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One client connection through a {@link ChaosProxy} and its upstream connection, pumped by
 * one virtual thread per direction with blocking socket I/O. Each chunk read is passed through
 * the proxy's current toxic chain for its direction, so toxics changed while traffic flows
 * apply from the next chunk on. Every wait a toxic adds ends early when the connection closes.
 */
final class ProxyConnection {

    private static final int BUFFER_SIZE = 64 * 1024;

    /** Per connection and toxic version: whether the toxicity roll hit, when it took effect, bytes seen. */
    private static final class ToxicState {
        final boolean active;
        final long startNanos;
        long bytes; // written only by the one pump thread of the toxic's direction

        ToxicState(boolean active, long startNanos) {
            this.active = active;
            this.startNanos = startNanos;
        }
    }

    private final ChaosProxy proxy;
    /** Held directly: each chunk finds its chain with one volatile read, not through the proxy. */
    private final ToxicChains toxics;
    private final Socket client;
    private final Socket server;
    private final ConcurrentHashMap<Long, ToxicState> states = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch closedSignal = new CountDownLatch(1);
    private final AtomicInteger directionsEnded = new AtomicInteger();
    private volatile long lastActivityNanos = System.nanoTime();
    private volatile boolean blackholed;

    ProxyConnection(ChaosProxy proxy, Socket client, Socket server) {
        this.proxy = proxy;
        this.toxics = proxy.chains();
        this.client = client;
        this.server = server;
    }

    /** Starts both pumps; the toxics present now take effect from this moment. */
    void start(ToxicEntry[] current) {
        for (ToxicEntry entry : current) {
            state(entry);
        }
        proxy.startThread(() -> pump(Direction.UPSTREAM, client, server));
        proxy.startThread(() -> pump(Direction.DOWNSTREAM, server, client));
    }

    boolean isClosed() {
        return closed.get();
    }

    /** Begins the clock of a toxic just added, so a timeout counts from when it was added. */
    void toxicAdded(ToxicEntry entry) {
        state(entry);
    }

    void toxicRemoved(ToxicEntry entry) {
        states.remove(entry.id());
    }

    private ToxicState state(ToxicEntry entry) {
        return states.computeIfAbsent(entry.id(), id -> {
            double toxicity = entry.toxic().toxicity();
            boolean active = toxicity >= 1.0 || (toxicity > 0.0 && ThreadLocalRandom.current().nextDouble() < toxicity);
            return new ToxicState(active, System.nanoTime());
        });
    }

    /** Called by the proxy's timer with the toxics that act on time passing. */
    void checkTimers(long now, ToxicEntry[] timed) {
        for (ToxicEntry entry : timed) {
            ToxicState state = state(entry);
            if (!state.active) {
                continue;
            }
            long limit = entry.millisNanos("timeout");
            switch (entry.toxic().type()) {
                case TIMEOUT -> {
                    if (now - state.startNanos >= limit) {
                        close(false);
                        return;
                    }
                }
                case IDLE_CLOSE -> {
                    if (now - lastActivityNanos >= limit) {
                        close(entry.toxic().attribute("reset") == 1);
                        return;
                    }
                }
                case IDLE_BLACKHOLE -> {
                    if (now - lastActivityNanos >= limit) {
                        blackholed = true;
                    }
                }
                default -> {
                }
            }
        }
    }

    private void pump(Direction direction, Socket from, Socket to) {
        byte[] buffer = new byte[BUFFER_SIZE];
        DelayLine line = null;
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            while (!closed.get()) {
                int read = in.read(buffer);
                if (read < 0) {
                    if (line != null) {
                        line.put(Chunk.END);
                    } else {
                        endOfStream(direction, to);
                    }
                    return;
                }
                long arrived = System.nanoTime();
                if (!admit(arrived)) {
                    return;
                }
                if (blackholed) {
                    continue;
                }
                Chunk chunk = plan(direction, buffer, read, arrived);
                if (chunk == Chunk.DROP) {
                    continue;
                }
                if (chunk == Chunk.STOP) {
                    return;
                }
                if (line == null && chunk.dueNanos <= arrived) {
                    // Fast path: nothing delays this direction, so write from the reading thread.
                    if (!write(out, chunk) || chunk.closeAfter) {
                        return;
                    }
                    continue;
                }
                if (line == null) {
                    // Latency delays chunks from their arrival, as a network does, without
                    // holding up the reading of the next ones: a writer thread takes over this
                    // direction for the rest of the connection so the bytes stay in order.
                    line = new DelayLine(direction, to, out);
                    DelayLine started = line;
                    proxy.startThread(started::run);
                }
                if (!line.put(chunk.copyOf(buffer))) {
                    return;
                }
            }
        } catch (IOException e) {
            // A reset or error from one end: pass it on as a reset, as a real network path would.
            close(true);
        }
    }

    /**
     * Applies the connection-wide idle toxics to a chunk that just arrived; false when the
     * connection was closed for having been idle. A black-holed connection stays open and the
     * caller drops the chunk.
     */
    private boolean admit(long arrived) {
        long idle = arrived - lastActivityNanos;
        for (ToxicEntry entry : toxics.connectionWide()) {
            ToxicState state = state(entry);
            if (!state.active || idle < entry.millisNanos("timeout")) {
                continue;
            }
            if (entry.toxic().type() == ToxicType.IDLE_CLOSE) {
                // The timer may not have ticked yet; the middlebox would have closed already.
                close(entry.toxic().attribute("reset") == 1);
                return false;
            }
            blackholed = true;
        }
        if (!blackholed) {
            lastActivityNanos = arrived;
        }
        return true;
    }

    /**
     * Applies the direction's toxic chain to a chunk that just arrived: what to write, when,
     * in what pieces, and whether to close afterwards. Returns {@link Chunk#DROP} or
     * {@link Chunk#STOP} when nothing is to be written.
     */
    private Chunk plan(Direction direction, byte[] buffer, int read, long arrived) {
        long delayNanos = 0;
        int length = read;
        boolean closeAfter = false;
        long sliceSize = 0;
        long sliceVariation = 0;
        long sliceDelayNanos = 0;
        long rate = 0;
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (ToxicEntry entry : toxics.chain(direction)) {
            ToxicState state = state(entry);
            if (!state.active) {
                continue;
            }
            Toxic toxic = entry.toxic();
            switch (toxic.type()) {
                case TIMEOUT -> {
                    return Chunk.DROP;
                }
                case RESET_PEER -> {
                    if (!awaitClosed(entry.millisNanos("timeout"))) {
                        close(true);
                    }
                    return Chunk.STOP;
                }
                case LATENCY -> {
                    long jitter = toxic.attribute("jitter");
                    long millis = toxic.attribute("latency") + (jitter > 0 ? random.nextLong(-jitter, jitter + 1) : 0);
                    delayNanos += Math.max(0, millis) * 1_000_000L;
                }
                case BANDWIDTH -> {
                    long kbps = toxic.attribute("rate");
                    if (kbps > 0) {
                        rate = rate == 0 ? kbps : Math.min(rate, kbps);
                    }
                }
                case SLICER -> {
                    sliceSize = Math.max(1, toxic.attribute("average_size"));
                    sliceVariation = toxic.attribute("size_variation");
                    sliceDelayNanos = toxic.attribute("delay") * 1_000L;
                }
                case LIMIT_DATA -> {
                    long allowed = toxic.attribute("bytes") - state.bytes;
                    if (allowed <= length) {
                        length = (int) Math.max(0, allowed);
                        closeAfter = true;
                    }
                    state.bytes += length;
                }
                default -> {
                    // slow_close acts at the end of the stream, the idle toxics in admit()
                }
            }
        }
        return new Chunk(buffer, length, arrived + delayNanos, sliceSize, sliceVariation, sliceDelayNanos, rate, closeAfter);
    }

    /** Waits until the chunk is due, writes it as planned and closes when it says so; false when done with the connection. */
    private boolean write(OutputStream out, Chunk chunk) throws IOException {
        long wait = chunk.dueNanos - System.nanoTime();
        if (wait > 0 && awaitClosed(wait)) {
            return false;
        }
        if (!write(out, chunk.data, chunk.length, chunk.sliceSize, chunk.sliceVariation, chunk.sliceDelayNanos,
                chunk.kilobytesPerSecond)) {
            return false;
        }
        if (chunk.closeAfter) {
            close(false);
        }
        return true;
    }

    /** Data planned for writing, or one of the markers. */
    private record Chunk(byte[] data, int length, long dueNanos, long sliceSize, long sliceVariation,
                         long sliceDelayNanos, long kilobytesPerSecond, boolean closeAfter) {
        static final Chunk DROP = new Chunk(new byte[0], 0, 0, 0, 0, 0, 0, false);
        static final Chunk STOP = new Chunk(new byte[0], 0, 0, 0, 0, 0, 0, false);
        static final Chunk END = new Chunk(new byte[0], 0, 0, 0, 0, 0, 0, false);

        /** The same plan over its own copy of the bytes, for a buffer about to be reused. */
        Chunk copyOf(byte[] buffer) {
            return new Chunk(Arrays.copyOf(buffer, length), length, dueNanos, sliceSize, sliceVariation,
                    sliceDelayNanos, kilobytesPerSecond, closeAfter);
        }
    }

    /**
     * The writing half of one direction once latency has been seen on it: chunks queue with
     * the time they are due, so each is delayed from its own arrival. Bounded, so a slow
     * writer pushes back on the reader as TCP would.
     */
    private final class DelayLine {
        private final ArrayBlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(64);
        private final Direction direction;
        private final Socket to;
        private final OutputStream out;

        DelayLine(Direction direction, Socket to, OutputStream out) {
            this.direction = direction;
            this.to = to;
            this.out = out;
        }

        /** Queues a chunk; false when the connection closed while waiting for room. */
        boolean put(Chunk chunk) {
            try {
                while (!queue.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
                    if (closed.get()) {
                        return false;
                    }
                }
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close(false);
                return false;
            }
        }

        void run() {
            try {
                while (!closed.get()) {
                    Chunk chunk = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (chunk == null) {
                        continue;
                    }
                    if (chunk == Chunk.END) {
                        endOfStream(direction, to);
                        return;
                    }
                    if (!write(out, chunk) || chunk.closeAfter) {
                        return;
                    }
                }
            } catch (IOException e) {
                close(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close(false);
            }
        }
    }

    /** Writes in pieces when a slicer or a bandwidth limit asks for it; false when closed meanwhile. */
    private boolean write(OutputStream out, byte[] buffer, int length, long sliceSize, long sliceVariation,
                          long sliceDelayNanos, long kilobytesPerSecond) throws IOException {
        if (length == 0) {
            return true;
        }
        if (sliceSize == 0 && kilobytesPerSecond == 0) {
            out.write(buffer, 0, length);
            return true;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        // A bandwidth limit writes about 20 pieces a second so the rate is smooth, not bursty.
        long bandwidthPiece = kilobytesPerSecond == 0 ? Long.MAX_VALUE : Math.max(1, kilobytesPerSecond * 1000 / 20);
        long start = System.nanoTime();
        int offset = 0;
        while (offset < length) {
            long piece = bandwidthPiece;
            if (sliceSize > 0) {
                long variation = sliceVariation > 0 ? random.nextLong(-sliceVariation, sliceVariation + 1) : 0;
                piece = Math.min(piece, Math.max(1, sliceSize + variation));
            }
            int size = (int) Math.min(piece, length - offset);
            out.write(buffer, offset, size);
            offset += size;
            if (offset >= length) {
                break;
            }
            long wait = sliceDelayNanos;
            if (kilobytesPerSecond > 0) {
                long due = start + offset * 1_000_000L / kilobytesPerSecond; // bytes / (KB/s) = ms * 1e6 ns
                wait = Math.max(wait, due - System.nanoTime());
            }
            if (wait > 0 && awaitClosed(wait)) {
                return false;
            }
        }
        if (kilobytesPerSecond > 0) {
            long due = start + length * 1_000_000L / kilobytesPerSecond;
            long wait = due - System.nanoTime();
            return wait <= 0 || !awaitClosed(wait);
        }
        return true;
    }

    private void endOfStream(Direction direction, Socket to) {
        for (ToxicEntry entry : toxics.chain(direction)) {
            if (entry.toxic().type() == ToxicType.SLOW_CLOSE && state(entry).active
                    && awaitClosed(entry.millisNanos("delay"))) {
                return;
            }
        }
        if (blackholed) {
            // The flow is gone from the network's point of view; release both ends rather than
            // keep a socket nobody can reach.
            close(false);
            return;
        }
        try {
            to.shutdownOutput(); // pass the FIN on; the other direction may still carry data
        } catch (IOException e) {
            close(true);
            return;
        }
        if (directionsEnded.incrementAndGet() == 2) {
            close(false);
        }
    }

    /** Waits up to {@code nanos}; true when the connection closed meanwhile. */
    private boolean awaitClosed(long nanos) {
        try {
            return closedSignal.await(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close(false);
            return true;
        }
    }

    /** Closes both ends once: with a FIN, or with a RST (SO_LINGER 0) when {@code reset}. */
    void close(boolean reset) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (reset) {
            lingerZero(client);
            lingerZero(server);
        }
        closeQuietly(client);
        closeQuietly(server);
        closedSignal.countDown();
        proxy.connectionClosed(this);
    }

    private static void lingerZero(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // already closed: nothing left to reset
        }
    }

    static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing is best effort; the descriptor is released either way
        }
    }
}
