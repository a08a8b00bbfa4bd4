package dev.strata.http;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Strict parsing of IP address literals from untrusted text. Never performs a DNS lookup (a
 * header saying {@code evil.example} must not make the server resolve it) and never throws:
 * anything that is not a literal is null.
 */
final class IpAddresses {

    private IpAddresses() {
    }

    /**
     * The address in {@code text}: dotted IPv4 ({@code 203.0.113.7}), IPv6 ({@code 2001:db8::1},
     * also IPv4-mapped), optionally in brackets and with a port as proxies write them
     * ({@code [2001:db8::1]:443}, {@code 203.0.113.7:8080}); null for anything else.
     */
    static InetAddress parse(String text) {
        if (text == null) {
            return null;
        }
        String s = text.trim();
        if (s.isEmpty() || s.length() > 64) {
            return null;
        }
        if (s.charAt(0) == '[') {
            int close = s.indexOf(']');
            if (close < 0) {
                return null;
            }
            String rest = s.substring(close + 1);
            if (!rest.isEmpty() && !isPort(rest)) {
                return null;
            }
            return parseV6(s.substring(1, close));
        }
        int colon = s.indexOf(':');
        if (colon < 0) {
            return parseV4(s);
        }
        if (s.indexOf(':', colon + 1) < 0) { // exactly one colon: IPv4 with a port
            return isPort(s.substring(colon)) ? parseV4(s.substring(0, colon)) : null;
        }
        return parseV6(s);
    }

    private static boolean isPort(String colonAndDigits) {
        if (colonAndDigits.length() < 2 || colonAndDigits.length() > 6 || colonAndDigits.charAt(0) != ':') {
            return false;
        }
        for (int i = 1; i < colonAndDigits.length(); i++) {
            char c = colonAndDigits.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return Integer.parseInt(colonAndDigits, 1, colonAndDigits.length(), 10) <= 65535;
    }

    /** Four decimal octets 0..255, no leading zeros (which some parsers read as octal). */
    static InetAddress parseV4(String s) {
        byte[] octets = new byte[4];
        int part = 0;
        int value = -1;
        int digits = 0;
        for (int i = 0; i <= s.length(); i++) {
            char c = i == s.length() ? '.' : s.charAt(i);
            if (c == '.') {
                if (value < 0 || part == 4) {
                    return null;
                }
                octets[part++] = (byte) value;
                value = -1;
                digits = 0;
            } else if (c >= '0' && c <= '9') {
                if (digits > 0 && value == 0) {
                    return null; // leading zero
                }
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 255) {
                    return null;
                }
                digits++;
            } else {
                return null;
            }
        }
        if (part != 4) {
            return null;
        }
        try {
            return InetAddress.getByAddress(octets);
        } catch (UnknownHostException impossible) {
            return null;
        }
    }

    /**
     * An IPv6 literal. Only hex digits, colons and (for an embedded IPv4 tail) dots are accepted,
     * and only a hex digit or a colon may come first, before the JDK parses it: that is exactly
     * what {@link InetAddress} reads as a literal, so the text is never looked up.
     */
    private static InetAddress parseV6(String s) {
        if (s.indexOf(':') < 0 || s.length() > 45) {
            return null;
        }
        char first = s.charAt(0);
        if (Character.digit(first, 16) < 0 && first != ':') {
            // InetAddress treats text as a literal only when it starts with a hex digit or ':';
            // anything else ('.::', '.1:2:3') it hands to the name service
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
            if (!ok) {
                return null; // also rejects zone ids (%eth0): not an address a client can have
            }
        }
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException | RuntimeException malformed) {
            return null;
        }
    }

    /** The canonical text of an address: dotted IPv4 or the JDK's full IPv6 form, lowercase. */
    static String text(InetAddress address) {
        return address instanceof Inet4Address ? address.getHostAddress() : address.getHostAddress().toLowerCase(java.util.Locale.ROOT);
    }
}
