package dev.strata.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The accepting side of a {@link ChaosProxy}: its listening socket and accept loop, the upstream
 * connect of each accepted client, and the connections open through it. Bind and unbind are
 * called with the proxy's lock held; the rest is safe from any thread.
 */
final class ProxyListener {

    private final ChaosProxy proxy;
    private final Duration connectTimeout;
    /** Accepted clients whose upstream connect is still under way (not yet in {@code connections}). */
    private final AtomicInteger opening = new AtomicInteger();
    private final Set<ProxyConnection> connections = ConcurrentHashMap.newKeySet();
    private ServerSocket serverSocket;
    private Thread acceptor;

    ProxyListener(ChaosProxy proxy, Duration connectTimeout) {
        this.proxy = proxy;
        this.connectTimeout = connectTimeout;
    }

    /** The connections open now; a live view. */
    Set<ProxyConnection> connections() {
        return connections;
    }

    /** Whether no connection is open or still being opened upstream. */
    boolean isIdle() {
        return opening.get() == 0 && connections.isEmpty();
    }

    void connectionClosed(ProxyConnection connection) {
        connections.remove(connection);
    }

    /**
     * Binds {@code listen} and starts the accept loop.
     *
     * @return the bound address, with the real port when 0 was asked for
     * @throws UncheckedIOException when the address is in use
     */
    InetSocketAddress bind(InetSocketAddress listen) {
        ServerSocket socket = null;
        try {
            socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(listen, 1024);
        } catch (IOException e) {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // nothing bound, nothing to release
                }
            }
            throw new UncheckedIOException("proxy " + proxy.name() + ": cannot listen on " + ChaosProxy.format(listen)
                    + ": " + e.getMessage(), e);
        }
        serverSocket = socket;
        InetSocketAddress bound = new InetSocketAddress(socket.getInetAddress(), socket.getLocalPort());
        ServerSocket accepting = socket;
        acceptor = proxy.startThread(() -> acceptLoop(accepting));
        return bound;
    }

    /**
     * Stops accepting. Waits (boundedly) for the accept loop to end, because a socket closed while
     * a thread is blocked in accept() releases its port only when that thread has left, and
     * enable() may want the port back at once.
     */
    void unbind() {
        if (serverSocket != null) {
            try {
                serverSocket.close();
            } catch (IOException ignored) {
                // the accept loop ends either way
            }
            serverSocket = null;
            try {
                acceptor.join(Duration.ofSeconds(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            acceptor = null;
        }
    }

    /** Closes every open connection with a FIN; returns how many it closed. */
    int closeAll() {
        int count = 0;
        for (ProxyConnection connection : connections) {
            if (!connection.isClosed()) {
                connection.close(false);
                count++;
            }
        }
        return count;
    }

    private void acceptLoop(ServerSocket accepting) {
        while (true) {
            Socket client;
            try {
                client = accepting.accept();
            } catch (IOException closedOrFailed) {
                return; // unbind() closed it
            }
            opening.incrementAndGet();
            proxy.startThread(() -> {
                try {
                    open(client);
                } finally {
                    opening.decrementAndGet();
                }
            });
        }
    }

    private void open(Socket client) {
        Socket server = new Socket();
        try {
            client.setTcpNoDelay(true);
            server.setTcpNoDelay(true);
            server.connect(proxy.upstreamAddress(), (int) connectTimeout.toMillis());
        } catch (IOException upstreamDown) {
            // As Toxiproxy does: the client sees its connection closed at once.
            ProxyConnection.closeQuietly(server);
            ProxyConnection.closeQuietly(client);
            return;
        }
        ProxyConnection connection = new ProxyConnection(proxy, client, server);
        connections.add(connection);
        if (!proxy.isEnabled() || proxy.isClosed()) { // disabled while connecting: closeAll() may have missed it
            connection.close(false);
            return;
        }
        connection.start(proxy.chains().all());
    }
}
