package dev.strata.http;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 network in CIDR notation ({@code 10.0.0.0/8}, {@code fc00::/7}); a bare address
 * is a network of one. Immutable.
 */
public final class Cidr {

    private final byte[] network;
    private final int prefix;
    private final String text;

    private Cidr(byte[] network, int prefix, String text) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
    }

    /**
     * Parses {@code address/prefix} or a bare address. Host bits set below the prefix are allowed
     * and ignored ({@code 10.1.2.3/8} is {@code 10.0.0.0/8}).
     *
     * @throws IllegalArgumentException naming the value and the allowed forms when it is not one
     */
    public static Cidr parse(String cidr) {
        if (cidr == null) {
            throw new IllegalArgumentException("cidr: null is not allowed; allowed an address or address/prefix");
        }
        String s = cidr.trim();
        int slash = s.indexOf('/');
        InetAddress address = IpAddresses.parse(slash < 0 ? s : s.substring(0, slash));
        if (address == null || (slash >= 0 && s.charAt(0) == '[')) {
            throw new IllegalArgumentException("cidr: '" + cidr + "' is not allowed; allowed an IPv4 or IPv6 address, optionally"
                    + " with /prefix (e.g. 10.0.0.0/8, fc00::/7)");
        }
        byte[] bytes = address.getAddress();
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            try {
                prefix = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > max || p.startsWith("+")) {
                throw new IllegalArgumentException("cidr: '" + cidr + "' has prefix '" + p + "'; allowed 0.." + max);
            }
        }
        byte[] network = mask(bytes, prefix);
        return new Cidr(network, prefix, IpAddresses.text(addressOf(network)) + "/" + prefix);
    }

    /** Whether {@code address} is inside this network; an IPv4 address never matches an IPv6 network and vice versa. */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != network.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int m = (0xFF << (8 - rest)) & 0xFF;
        return (a[full] & m) == (network[full] & 0xFF);
    }

    /** Whether this is an IPv4 network. */
    public boolean isIpv4() {
        return network.length == 4;
    }

    /** The prefix length in bits. */
    public int prefix() {
        return prefix;
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] out = Arrays.copyOf(bytes, bytes.length);
        for (int bit = prefix; bit < out.length * 8; bit++) {
            out[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return out;
    }

    private static InetAddress addressOf(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (java.net.UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefix;
    }

    /** Canonical form, e.g. {@code 10.0.0.0/8}. */
    @Override
    public String toString() {
        return text;
    }
}
