package dev.strata.network;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Turns a host name into addresses. Pluggable so tests can inject a slow or failing resolver
 * and production can add its own (service discovery, a fixed table).
 */
@FunctionalInterface
public interface Resolver {

    /**
     * The host's addresses, in the order to try them.
     *
     * @throws UnknownHostException when the name does not resolve
     */
    List<InetAddress> resolve(String host) throws UnknownHostException;

    /** The JVM's resolver ({@link InetAddress#getAllByName}), uncached by Strata. */
    static Resolver system() {
        return host -> List.of(InetAddress.getAllByName(host));
    }
}
