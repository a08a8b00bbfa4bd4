package dev.strata.network;

import dev.strata.call.CallContext;
import dev.strata.call.Clock;
import dev.strata.call.Deadline;
import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.fault.StrataException;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.lang.System.Logger.Level;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import jdk.net.ExtendedSocketOptions;

/**
 * Opens TCP (optionally TLS) connections with DNS resolution, the TCP handshake and the TLS
 * handshake all under ONE budget: the current {@link Deadline}, or the connector's own connect
 * timeout when that is shorter or no deadline is in force.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>No phase waits past the budget, including a resolver that hangs (it runs on a virtual
 *       thread the caller stops waiting for, and is interrupted).</li>
 *   <li>Each phase is timed ({@link Connected}) and recorded in the current call's
 *       {@link dev.strata.call.LayerTrace} as {@code dns}, {@code tcp}, {@code tls}.</li>
 *   <li>DNS answers are reused for the configured TTL only, and forgotten when connecting to
 *       them fails, so the next connection re-resolves.</li>
 *   <li>TCP keepalive idle / interval / count are set per connection where the platform
 *       supports them.</li>
 *   <li>Failures raise a {@link StrataException} with a {@link Layer#NETWORK} fault:
 *       dns-failure, connect-timeout, connection-refused, tls-handshake-failure.</li>
 * </ul>
 */
public final class Connector {

    private final String name;
    private final long connectTimeoutNanos;
    private final CachingResolver resolver;
    private final KeepaliveOptions keepalive;
    private final SSLSocketFactory tls;
    private final Clock clock;
    private final EventBus events;
    private final long slowDnsNanos;

    private Connector(Builder builder) {
        this.name = Require.notBlank("name", builder.name);
        this.connectTimeoutNanos = Require.between("connectTimeout", builder.connectTimeout,
                Duration.ofMillis(1), Duration.ofMinutes(10)).toNanos();
        this.clock = Require.nonNull("clock", builder.clock);
        this.resolver = new CachingResolver(Require.nonNull("resolver", builder.resolver), builder.dnsTtl, clock);
        this.keepalive = builder.keepalive;
        this.tls = builder.tls;
        this.events = Require.nonNull("events", builder.events);
        this.slowDnsNanos = Require.between("slowDns", builder.slowDns, Duration.ofMillis(1), Duration.ofMinutes(10)).toNanos();
    }

    /** A builder for a connector to the dependency {@code name}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * Resolves {@code host}, connects to its addresses in order until one accepts, and performs
     * the TLS handshake if configured, all within the budget.
     *
     * @throws StrataException with a {@link Layer#NETWORK} fault when the budget runs out or
     *     every address fails
     */
    public Connected connect(String host, int port) {
        Require.between("port", port, 1, 65_535);
        long start = clock.nanoTime();
        long end = start + Deadline.remainingNanosOr(connectTimeoutNanos);

        List<InetAddress> addresses = resolve(host, end);
        long resolved = clock.nanoTime();
        long dnsNanos = resolved - start;
        record(Layer.NETWORK, "dns", dnsNanos, "ok");
        if (dnsNanos >= slowDnsNanos) {
            publish("dns.slow", Level.WARNING, null, "resolving " + host + " took " + Durations.format(dnsNanos)
                    + " (slow above " + Durations.format(slowDnsNanos) + "), spent from the connect budget");
        }

        Socket socket = null;
        InetSocketAddress remote = null;
        IOException lastFailure = null;
        for (InetAddress address : addresses) {
            long left = end - clock.nanoTime();
            if (left <= 0) {
                break;
            }
            remote = new InetSocketAddress(address, port);
            Socket attempt = new Socket();
            try {
                configure(attempt);
                attempt.connect(remote, (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                socket = attempt;
                break;
            } catch (IOException failure) {
                closeQuietly(attempt);
                lastFailure = failure;
                resolver.failed(host, address); // that address only: the host's others stay cached
            }
        }
        long tcpNanos = clock.nanoTime() - resolved;
        if (socket == null) {
            Fault fault = lastFailure == null
                    ? Fault.of(FaultKind.CONNECT_TIMEOUT, "budget spent before connecting")
                    : FaultClassifier.DEFAULT.classify(lastFailure);
            if (lastFailure instanceof SocketTimeoutException) {
                fault = Fault.of(FaultKind.CONNECT_TIMEOUT, "TCP handshake");
            }
            record(Layer.NETWORK, "tcp", tcpNanos, fault.kind().qualifiedName());
            String message = "could not connect to " + host + ":" + port + " within "
                    + Durations.format(clock.nanoTime() - start) + " (tried " + addresses.size() + " address"
                    + (addresses.size() == 1 ? "" : "es") + ")";
            publish("connect.failed", Level.WARNING, fault, message + ": " + fault);
            throw new StrataException(fault, name, message, lastFailure);
        }
        record(Layer.NETWORK, "tcp", tcpNanos, "ok");

        long tlsNanos = 0;
        if (tls != null) {
            long tlsStart = clock.nanoTime();
            try {
                socket = handshake(socket, host, port, end);
                tlsNanos = clock.nanoTime() - tlsStart;
                record(Layer.NETWORK, "tls", tlsNanos, "ok");
            } catch (IOException failure) {
                closeQuietly(socket);
                Fault fault = failure instanceof SocketTimeoutException
                        ? Fault.of(FaultKind.CONNECT_TIMEOUT, "TLS handshake")
                        : Fault.of(FaultKind.TLS_HANDSHAKE_FAILURE, failure.getMessage());
                record(Layer.NETWORK, "tls", clock.nanoTime() - tlsStart, fault.kind().qualifiedName());
                publish("connect.failed", Level.WARNING, fault, "TLS handshake with " + host + ":" + port + " failed: " + fault);
                throw new StrataException(fault, name, "TLS handshake with " + host + ":" + port + " failed", failure);
            }
        }
        return new Connected(socket, remote, dnsNanos, tcpNanos, tlsNanos);
    }

    private List<InetAddress> resolve(String host, long end) {
        List<InetAddress> cached = resolver.cached(host);
        if (cached != null) {
            return cached;
        }
        CompletableFuture<List<InetAddress>> answer = new CompletableFuture<>();
        // Resolvers block and the JVM's cannot be given a timeout: ask on a virtual thread and
        // stop waiting when the budget ends, so a slow DNS server cannot hold the caller.
        Thread lookup = Thread.ofVirtual().name("strata-dns-" + name).start(() -> {
            try {
                answer.complete(resolver.resolve(host));
            } catch (Throwable failure) {
                answer.completeExceptionally(failure);
            }
        });
        try {
            List<InetAddress> addresses = answer.get(Math.max(0, end - clock.nanoTime()), TimeUnit.NANOSECONDS);
            if (addresses.isEmpty()) {
                throw new UnknownHostException(host + ": no addresses");
            }
            return addresses;
        } catch (TimeoutException slow) {
            lookup.interrupt();
            throw dnsFailure(host, "resolution did not finish within the connect budget", slow);
        } catch (ExecutionException failed) {
            throw dnsFailure(host, String.valueOf(failed.getCause().getMessage()), failed.getCause());
        } catch (UnknownHostException empty) {
            throw dnsFailure(host, empty.getMessage(), empty);
        } catch (InterruptedException interrupted) {
            lookup.interrupt();
            Thread.currentThread().interrupt();
            throw dnsFailure(host, "interrupted", interrupted);
        }
    }

    private StrataException dnsFailure(String host, String why, Throwable cause) {
        record(Layer.NETWORK, "dns", 0, FaultKind.DNS_FAILURE.qualifiedName());
        publish("connect.failed", Level.WARNING, Fault.of(FaultKind.DNS_FAILURE, host), "could not resolve " + host + ": " + why);
        return new StrataException(Fault.of(FaultKind.DNS_FAILURE, host), name, "could not resolve " + host + ": " + why, cause);
    }

    private void configure(Socket socket) throws IOException {
        socket.setTcpNoDelay(true);
        if (keepalive == null) {
            return;
        }
        socket.setKeepAlive(true);
        setIfSupported(socket, ExtendedSocketOptions.TCP_KEEPIDLE, (int) keepalive.idle().toSeconds());
        setIfSupported(socket, ExtendedSocketOptions.TCP_KEEPINTERVAL, (int) keepalive.interval().toSeconds());
        setIfSupported(socket, ExtendedSocketOptions.TCP_KEEPCOUNT, keepalive.count());
    }

    private static void setIfSupported(Socket socket, SocketOption<Integer> option, int value) throws IOException {
        if (socket.supportedOptions().contains(option)) {
            socket.setOption(option, value);
        }
    }

    private Socket handshake(Socket plain, String host, int port, long end) throws IOException {
        SSLSocket secure = (SSLSocket) tls.createSocket(plain, host, port, true);
        SSLParameters parameters = secure.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS"); // verify the certificate names this host
        secure.setSSLParameters(parameters);
        try {
            long left = end - clock.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("no budget left for the TLS handshake");
            }
            secure.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            secure.startHandshake();
            secure.setSoTimeout(0);
        } catch (IOException failure) {
            // A timed-out handshake leaves the TLS socket open: close it (and, layered with
            // autoClose, the TCP socket under it), not just the TCP socket.
            closeQuietly(secure);
            throw failure;
        }
        return secure;
    }

    /** Connect failures and slow lookups only: a connection that opens normally publishes nothing. */
    private void publish(String type, Level level, Fault fault, String message) {
        if (events.isActive(level)) {
            events.publish(new BasicEvent(clock.currentTimeMillis(), name, type, Layer.NETWORK, level, fault, message));
        }
    }

    private static void record(Layer layer, String phase, long nanos, String outcome) {
        CallContext context = CallContext.current();
        if (context != null) {
            context.trace().record(layer, phase, nanos, outcome);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing was sent on it
        }
    }

    /** The resolver with this connector's TTL cache, e.g. to invalidate an answer by hand. */
    public CachingResolver resolver() {
        return resolver;
    }

    /**
     * Settings of a {@link Connector}. Defaults: connect timeout 5 s, the JVM's resolver with a
     * 30 s TTL (the JVM's own default for successful lookups), TCP keepalive
     * {@link KeepaliveOptions#DEFAULT}, no TLS, events to {@link EventBus#root()}, slow DNS above 200 ms.
     */
    public static final class Builder {
        private final String name;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Resolver resolver = Resolver.system();
        private Duration dnsTtl = Duration.ofSeconds(30);
        private KeepaliveOptions keepalive = KeepaliveOptions.DEFAULT;
        private SSLSocketFactory tls;
        private Clock clock = Clock.system();
        private EventBus events = EventBus.root();
        private Duration slowDns = Duration.ofMillis(200);

        private Builder(String name) {
            this.name = name;
        }

        /** Bound on DNS + TCP + TLS together when no shorter call deadline is in force. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        public Builder resolver(Resolver resolver) {
            this.resolver = resolver;
            return this;
        }

        /** How long a DNS answer is reused; zero resolves for every connection. */
        public Builder dnsTtl(Duration dnsTtl) {
            this.dnsTtl = dnsTtl;
            return this;
        }

        /** Keepalive per connection; null leaves the kernel's settings (first probe after hours). */
        public Builder keepalive(KeepaliveOptions keepalive) {
            this.keepalive = keepalive;
            return this;
        }

        /** Wraps every connection in TLS with host name verification; null for plain TCP. */
        public Builder tls(SSLSocketFactory tls) {
            this.tls = tls;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * Where {@code connect.failed} (DNS, TCP or TLS failed; the fault says which) and
         * {@code dns.slow} events go; default {@link EventBus#root()}.
         */
        public Builder events(EventBus events) {
            this.events = events;
            return this;
        }

        /** A lookup slower than this publishes {@code dns.slow}; default 200 ms, 1 ms to 10 min. */
        public Builder slowDns(Duration slowDns) {
            this.slowDns = slowDns;
            return this;
        }

        /** @throws IllegalArgumentException naming the invalid field, its value and the allowed range */
        public Connector build() {
            return new Connector(this);
        }
    }
}
