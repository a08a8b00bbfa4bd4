package dev.strata.application;

import java.lang.System.Logger.Level;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Takes over SIGTERM and SIGINT so that a second signal can force a shutdown that is still
 * waiting: the JVM's own handler would block the second signal behind the running shutdown hooks.
 * The first signal exits the JVM exactly as the JVM's handler does ({@code System.exit(128 + n)}),
 * which runs the runtime's shutdown hook.
 *
 * <p>{@code sun.misc.Signal} (module {@code jdk.unsupported}) is reached reflectively, so core
 * compiles without internal-API warnings and still starts where it is missing or refused.
 */
final class SignalRelay {

    private static final AtomicInteger SIGNALS = new AtomicInteger();
    private static final Object INSTALL_LOCK = new Object();
    private static volatile Lifecycle target;
    private static boolean installed;

    private SignalRelay() {
    }

    static void install(Lifecycle runtime) {
        target = runtime; // the last runtime that asked: one process, one runtime
        synchronized (INSTALL_LOCK) { // once per process; no blocking work inside
            if (installed) {
                return;
            }
            installed = true;
        }
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Method getName = signalClass.getMethod("getName");
            Method getNumber = signalClass.getMethod("getNumber");
            InvocationHandler relay = (proxy, method, args) -> switch (method.getName()) {
                case "handle" -> {
                    onSignal((String) getName.invoke(args[0]), (Integer) getNumber.invoke(args[0]));
                    yield null;
                }
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                case "toString" -> "Strata signal relay";
                default -> null;
            };
            Object handler = Proxy.newProxyInstance(SignalRelay.class.getClassLoader(), new Class<?>[] {handlerClass}, relay);
            Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            for (String name : new String[] {"TERM", "INT"}) {
                try {
                    handle.invoke(null, signalClass.getConstructor(String.class).newInstance(name), handler);
                } catch (ReflectiveOperationException | RuntimeException refused) {
                    // -Xrs, or a signal the platform reserves: the JVM's own handling stays
                    System.getLogger("dev.strata").log(Level.DEBUG, "SIG" + name + " stays with the JVM: " + refused);
                }
            }
        } catch (ReflectiveOperationException | RuntimeException | LinkageError unavailable) {
            System.getLogger("dev.strata").log(Level.DEBUG, "signals stay with the JVM: " + unavailable);
        }
    }

    private static void onSignal(String name, int number) {
        if (SIGNALS.getAndIncrement() == 0) {
            // what the JVM's handler does; on its own thread so the signal thread is not held by the hooks
            Thread.ofPlatform().name("strata-signal-exit").start(() -> System.exit(128 + number));
            return;
        }
        Lifecycle runtime = target;
        if (runtime != null) {
            runtime.onSecondSignal(name);
        }
    }
}
