package dev.strata.junit;

import dev.strata.internal.Require;
import dev.strata.chaos.ChaosProxy;
import dev.strata.observe.EventBus;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests a {@link ChaosProxy} on 127.0.0.1 in front of an address, and heals it after every
 * test: toxics removed, every connection open through it closed, proxy enabled. Closing the
 * connections matters because some toxics poison a connection for good (a flow black-holed by
 * {@code idle_blackhole}, data dropped by {@code timeout}); a pooled client that kept such a
 * connection would otherwise carry it into the next test. Clients see their connections end and
 * reconnect, as after a server restart. Register it with {@code @RegisterExtension}:
 *
 * <pre>{@code
 * @RegisterExtension
 * static ChaosProxyExtension db = ChaosProxyExtension.inFrontOf(() -> postgres.address());
 *
 * @Test
 * void survivesANatThatForgetsIdleFlows(ChaosProxy proxy) {
 *     proxy.addToxic(Toxic.idleBlackhole(1_000));
 *     ... connect to db.address() ...
 * }
 * }</pre>
 *
 * <p>In a static field the proxy lives for the test class and is closed after it; in an
 * instance field it lives for one test. The upstream is asked for when the proxy is first
 * needed, so it may be started in {@code @BeforeAll}. Test methods can also receive the proxy
 * as a {@link ChaosProxy} parameter (with one such extension per class).
 */
public final class ChaosProxyExtension implements BeforeAllCallback, AfterEachCallback, AfterAllCallback, ParameterResolver {

    private final Supplier<InetSocketAddress> upstream;
    private final String name;
    private volatile ChaosProxy proxy;
    private volatile boolean classScoped;
    private final ReentrantLock lock = new ReentrantLock();

    private ChaosProxyExtension(Supplier<InetSocketAddress> upstream, String name) {
        this.upstream = upstream;
        this.name = name;
    }

    /** A proxy in front of a fixed address. */
    public static ChaosProxyExtension inFrontOf(InetSocketAddress upstream) {
        Require.nonNull("upstream", upstream);
        return new ChaosProxyExtension(() -> upstream, "junit");
    }

    /** A proxy in front of an address known only once the test class has started its server. */
    public static ChaosProxyExtension inFrontOf(Supplier<InetSocketAddress> upstream) {
        return new ChaosProxyExtension(Require.nonNull("upstream", upstream), "junit");
    }

    /** The same extension with the proxy named {@code proxyName} (shown in its events). */
    public ChaosProxyExtension named(String proxyName) {
        return new ChaosProxyExtension(upstream, Require.notBlank("name", proxyName));
    }

    /** The proxy, started on first use. */
    public ChaosProxy proxy() {
        ChaosProxy current = proxy;
        if (current == null || current.isClosed()) {
            lock.lock();
            try {
                current = proxy;
                if (current == null || current.isClosed()) {
                    InetSocketAddress target = Objects.requireNonNull(upstream.get(), "the upstream supplier returned null");
                    current = ChaosProxy.builder(name, target).events(EventBus.create()).start();
                    proxy = current;
                }
            } finally {
                lock.unlock();
            }
        }
        return current;
    }

    /** Where the code under test should connect: the proxy's listen address. */
    public InetSocketAddress address() {
        return proxy().listenAddress();
    }

    /** The proxy's port on 127.0.0.1. */
    public int port() {
        return proxy().port();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        classScoped = true;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        ChaosProxy current = proxy;
        if (current == null) {
            return;
        }
        if (classScoped) {
            current.removeAllToxics();
            current.closeConnections();
            current.enable();
        } else {
            current.close();
            proxy = null;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        ChaosProxy current = proxy;
        if (current != null) {
            current.close();
            proxy = null;
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == ChaosProxy.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return proxy();
    }
}
