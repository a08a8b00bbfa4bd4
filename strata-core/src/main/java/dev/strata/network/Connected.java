package dev.strata.network;

import dev.strata.internal.Durations;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A connection the {@link Connector} opened, with the time each phase took, so a slow phase
 * (DNS, TCP handshake, TLS handshake) is visible instead of hiding inside "connect took 4 s".
 *
 * @param socket the connected socket (an {@link javax.net.ssl.SSLSocket} when TLS was used); the caller owns it
 * @param remote the address it connected to
 * @param dnsNanos time spent resolving (zero for a cached answer or a literal address)
 * @param tcpNanos time spent in the TCP handshake, including failed attempts on other addresses
 * @param tlsNanos time spent in the TLS handshake, zero without TLS
 */
public record Connected(Socket socket, InetSocketAddress remote, long dnsNanos, long tcpNanos, long tlsNanos) {

    /** Total time to connect. */
    public long totalNanos() {
        return dnsNanos + tcpNanos + tlsNanos;
    }

    @Override
    public String toString() {
        return "connected to " + remote + " in " + Durations.format(totalNanos()) + " (dns " + Durations.format(dnsNanos)
                + ", tcp " + Durations.format(tcpNanos) + ", tls " + Durations.format(tlsNanos) + ")";
    }
}
