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

    /** How many leading bits of an IPv6 address {@link #key()} keeps: one /64 is one subscriber's network. */
    public static final int DEFAULT_IPV6_PREFIX = 64;

    /**
     * A key for per-client limits: {@link #key(int)} with {@value #DEFAULT_IPV6_PREFIX}: an IPv4
     * address as is ({@code 203.0.113.7}), an IPv6 client by its /64 ({@code 2001:db8:1:2:0:0:0:0/64}).
     */
    public String key() {
        return key(DEFAULT_IPV6_PREFIX);
    }

    /**
     * A key for per-client limits: an IPv4 address as is; an IPv6 address cut to its first
     * {@code ipv6Prefix} bits ({@code 2001:db8:1:2:0:0:0:0/64}), because one subscriber gets a
     * whole /64 and can rotate addresses inside it, escaping a per-address limit and filling the
     * limiter's key cap. 128 keys by the full address.
     *
     * @throws IllegalArgumentException when {@code ipv6Prefix} is outside 16..128
     */
    public String key(int ipv6Prefix) {
        if (ipv6Prefix < 16 || ipv6Prefix > 128) {
            throw new IllegalArgumentException("ipv6_prefix: " + ipv6Prefix + " is not allowed; allowed 16..128");
        }
        if (!(address instanceof java.net.Inet6Address) || ipv6Prefix == 128) {
            return IpAddresses.text(address);
        }
        byte[] bytes = address.getAddress();
        for (int bit = ipv6Prefix; bit < 128; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return IpAddresses.text(java.net.InetAddress.getByAddress(bytes)) + "/" + ipv6Prefix;
        } catch (java.net.UnknownHostException impossible) { // 16 bytes are always an address
            throw new IllegalStateException(impossible);
        }
    }

    @Override
    public String toString() {
        return IpAddresses.text(address) + " (" + source.name().toLowerCase(java.util.Locale.ROOT) + ")";
    }
}
