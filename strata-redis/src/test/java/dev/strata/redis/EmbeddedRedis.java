package dev.strata.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import redis.embedded.RedisServer;

/**
 * A real Redis server for tests, on a free loopback port, that can be stopped and started again
 * on the same port; plus Lettuce clients configured as the limiter's documentation advises.
 */
final class EmbeddedRedis implements AutoCloseable {

    final int port;
    private final String password;
    private RedisServer server;
    private final List<RedisClient> clients = new ArrayList<>();
    private final ClientResources resources = ClientResources.builder()
            .reconnectDelay(Delay.constant(Duration.ofMillis(100))).ioThreadPoolSize(2).computationThreadPoolSize(2).build();

    EmbeddedRedis() {
        this(null);
    }

    /** A server that asks clients for {@code password} (AUTH), or none when null. */
    EmbeddedRedis(String password) {
        this.port = freePort();
        this.password = password;
        start();
    }

    private static int freePort() {
        // Redis cannot listen on port 0 and report it, so take one the kernel just handed out
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void start() {
        try {
            var b = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
                    .setting("save \"\"").setting("appendonly no").setting("maxmemory 64mb");
            server = (password == null ? b : b.setting("requirepass " + password)).build();
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void stop() {
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    RedisURI uri() {
        return RedisURI.create("redis://127.0.0.1:" + port);
    }

    /** A new client and connection to {@code port} (this server, or a proxy in front of it). */
    StatefulRedisConnection<String, String> connect(int targetPort) {
        RedisClient client = RedisClient.create(resources, RedisURI.create("redis://127.0.0.1:" + targetPort));
        client.setOptions(ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).autoReconnect(true).build());
        synchronized (clients) {
            clients.add(client);
        }
        return client.connect();
    }

    StatefulRedisConnection<String, String> connect() {
        return connect(port);
    }

    @Override
    public void close() {
        synchronized (clients) {
            for (RedisClient c : clients) {
                c.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
            clients.clear();
        }
        resources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        if (server != null && server.isActive()) {
            stop();
        }
    }
}
