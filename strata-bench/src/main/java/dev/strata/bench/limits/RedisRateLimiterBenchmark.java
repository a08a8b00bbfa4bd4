package dev.strata.bench.limits;

import dev.strata.redis.RedisFallback;
import dev.strata.redis.RedisRateLimiter;
import dev.strata.ratelimit.RateLimitAlgorithm;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import redis.embedded.RedisServer;

/**
 * One shared rate-limit decision on one hot key by 16 client threads through one Lettuce
 * connection to a local Redis (embedded, 6.2, loopback), beside plain {@code PING} (one round trip
 * doing nothing: the ceiling) and Bucket4j's Lettuce compare-and-set proxy (the anchor). The limit
 * is 1,000 per 10 s, so most decisions are refusals, as on a hot key under attack; admissions are
 * counted and printed at tear-down to check for over-admission.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(16)
public class RedisRateLimiterBenchmark {

    RedisServer server;
    RedisClient client;
    StatefulRedisConnection<String, String> connection;
    StatefulRedisConnection<byte[], byte[]> bytes;
    RedisRateLimiter fixedWindow;
    RedisRateLimiter gcra;
    RedisRateLimiter fixedWindowAdmitting;
    BucketProxy bucket4j;
    BucketProxy bucket4jAdmitting;
    final LongAdder admittedFixed = new LongAdder();
    final LongAdder admittedBucket4j = new LongAdder();
    long startMillis;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        server = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("save \"\"").setting("appendonly no").build();
        server.start();
        client = RedisClient.create(RedisURI.create("redis://127.0.0.1:" + port));
        connection = client.connect(StringCodec.UTF8);
        bytes = client.connect((RedisCodec<byte[], byte[]>) ByteArrayCodec.INSTANCE);
        String run = Long.toString(System.nanoTime());
        fixedWindow = RedisRateLimiter.builder("bench-fw-" + run, connection).algorithm(RateLimitAlgorithm.FIXED_WINDOW)
                .limit(1000, Duration.ofSeconds(10)).timeout(Duration.ofSeconds(2)).fallback(RedisFallback.FAIL_CLOSED).build();
        gcra = RedisRateLimiter.builder("bench-gcra-" + run, connection).algorithm(RateLimitAlgorithm.GCRA)
                .limit(1000, Duration.ofSeconds(10)).timeout(Duration.ofSeconds(2)).fallback(RedisFallback.FAIL_CLOSED).build();
        ProxyManager<byte[]> proxies = Bucket4jLettuce.casBasedBuilder(bytes)
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(20)))
                .build();
        BucketConfiguration config = BucketConfiguration.builder()
                .addLimit(Bandwidth.builder().capacity(1000).refillIntervally(1000, Duration.ofSeconds(10)).build()).build();
        bucket4j = proxies.builder().build(("bench-b4j-" + run).getBytes(StandardCharsets.UTF_8), () -> config);
        // the same hot key with a limit never reached: every decision writes (Bucket4j: a compare-and-set)
        fixedWindowAdmitting = RedisRateLimiter.builder("bench-fw-open-" + run, connection).algorithm(RateLimitAlgorithm.FIXED_WINDOW)
                .limit(10_000_000L, Duration.ofSeconds(10)).timeout(Duration.ofSeconds(2)).fallback(RedisFallback.FAIL_CLOSED).build();
        BucketConfiguration open = BucketConfiguration.builder()
                .addLimit(Bandwidth.builder().capacity(10_000_000L).refillIntervally(10_000_000L, Duration.ofSeconds(10)).build()).build();
        bucket4jAdmitting = proxies.builder().build(("bench-b4j-open-" + run).getBytes(StandardCharsets.UTF_8), () -> open);
        startMillis = System.currentTimeMillis();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        long seconds = Math.max(1, (System.currentTimeMillis() - startMillis) / 1000);
        System.out.printf("%nadmitted over %d s (limit 1000 per 10 s: a span of s seconds touches at most s/10 + 2 windows -> at most %d): strata fixed window %d, bucket4j %d;"
                        + " strata fallback decisions %d%n", seconds, 1000 * (seconds / 10 + 2),
                admittedFixed.sum(), admittedBucket4j.sum(), fixedWindow.fallbackDecisions() + gcra.fallbackDecisions());
        connection.close();
        bytes.close();
        client.shutdown();
        server.stop();
    }

    @Benchmark
    public String ping() {
        return connection.sync().ping();
    }

    @Benchmark
    public boolean strataFixedWindow() {
        boolean admitted = fixedWindow.tryAcquire("hot");
        if (admitted) {
            admittedFixed.increment();
        }
        return admitted;
    }

    @Benchmark
    public boolean strataGcra() {
        return gcra.tryAcquire("hot");
    }

    @Benchmark
    public boolean strataFixedWindowAdmitting() {
        return fixedWindowAdmitting.tryAcquire("hot");
    }

    @Benchmark
    public boolean bucket4jLettuceCasAdmitting() {
        return bucket4jAdmitting.tryConsume(1);
    }

    @Benchmark
    public boolean bucket4jLettuceCas() {
        boolean admitted = bucket4j.tryConsume(1);
        if (admitted) {
            admittedBucket4j.increment();
        }
        return admitted;
    }
}
