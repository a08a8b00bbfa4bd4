package dev.strata.http;

import java.net.InetAddress;
import java.util.Objects;

/**
 * Who sent a request, as {@link TrustProxy} decided it, and from what evidence.
 *
 * @param address the client's IP address
 * @param source where the address came from
 */
public record ClientIdentity(InetAddress address, Source source) {

    /** Where a client address came from. */
    public enum Source {
        /** The TCP peer: no proxy is trusted, or the peer is not a trusted proxy, or it forwarded nothing. */
        SOCKET,
        /** The rightmost untrusted address of {@code X-Forwarded-For} or {@code Forwarded}, relayed by trusted proxies. */
        FORWARDED,
        /** A single-value header such as {@code CF-Connecting-IP}, set by a trusted proxy. */
        CLIENT_HEADER,
        /**
         * The TCP peer, because the header a trusted proxy relayed did not hold an address where
         * one was needed: a garbled header is never trusted and never fails the request.
         */
        SOCKET_MALFORMED_HEADER
    }

    public ClientIdentity {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(source, "source");
    }

    /** The address as text ({@code 203.0.113.7}, {@code 2001:db8:0:0:0:0:0:1}): a key for per-client limits. */
    public String key() {
        return IpAddresses.text(address);
    }

    @Override
    public String toString() {
        return key() + " (" + source.name().toLowerCase(java.util.Locale.ROOT) + ")";
    }
}
