package dev.strata.redis;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A Lua script called by its SHA-1 ({@code EVALSHA}); the digest is computed here, so nothing
 * has to reach Redis before the first call. When Redis does not know the script (first use, a
 * restart, {@code SCRIPT FLUSH}) it answers {@code NOSCRIPT}; the script is then loaded once and
 * the call repeated, within the same time budget.
 */
final class LuaScript {

    final String name;
    final String source;
    final String sha;

    private LuaScript(String name, String source) {
        this.name = name;
        this.source = source;
        this.sha = sha1(source);
    }

    static LuaScript resource(String file) {
        try (InputStream in = LuaScript.class.getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException("script " + file + " is missing from the strata-redis jar");
            }
            return new LuaScript(file, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("reading script " + file, e);
        }
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JDK", e);
        }
    }

    /**
     * Runs the script and returns its array reply, waiting at most until {@code deadlineNanos}
     * on {@link System#nanoTime()}.
     *
     * @throws TimeoutException when Redis did not answer in time (the command is cancelled)
     * @throws ExecutionException with Lettuce's exception as the cause when Redis or the connection failed
     */
    List<Object> call(StatefulRedisConnection<String, String> connection, String[] keys, String[] args, long deadlineNanos)
            throws TimeoutException, ExecutionException, InterruptedException {
        RedisFuture<List<Object>> reply = connection.async().evalsha(sha, ScriptOutputType.MULTI, keys, args);
        try {
            return await(reply, deadlineNanos);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof RedisNoScriptException)) {
                throw e;
            }
        }
        // Redis lost the script (restart, flush): load it and ask again, still within the deadline
        await(connection.async().scriptLoad(source), deadlineNanos);
        return await(connection.async().evalsha(sha, ScriptOutputType.MULTI, keys, args), deadlineNanos);
    }

    private static <T> T await(RedisFuture<T> future, long deadlineNanos)
            throws TimeoutException, ExecutionException, InterruptedException {
        try {
            return future.get(Math.max(0L, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | InterruptedException e) {
            future.cancel(true);
            throw e;
        }
    }
}
