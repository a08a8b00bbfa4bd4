package dev.strata.application;

import dev.strata.application.Strata.Component;
import dev.strata.jdbc.StrataDataSource;
import dev.strata.pool.Pool;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Everything one runtime made or was handed to own, in creation order: what its read-only views
 * list ({@link Strata#components()}, {@link Strata#pools()}, ...) and what shutdown closes, in the
 * order {@link #closingOrder(List)} gives. Thread-safe: a copy-on-write list, read far more often
 * than written.
 */
final class Inventory {

    private final List<Component> components = new CopyOnWriteArrayList<>();

    void add(Component c) {
        components.add(c);
    }

    /** Unlists exactly these components (by identity): what a failed assembly made. */
    void removeAll(List<Component> made) {
        components.removeIf(c -> made.stream().anyMatch(m -> m == c));
    }

    /** Every component, in creation order (a snapshot). */
    List<Component> snapshot() {
        return List.copyOf(components);
    }

    /** Every component's instance of the given type, in creation order. */
    <T> List<T> instances(Class<T> type) {
        List<T> found = new ArrayList<>();
        for (Component c : components) {
            if (type.isInstance(c.instance())) {
                found.add(type.cast(c.instance()));
            }
        }
        return found;
    }

    /** The data sources' pools, then the pools listed as themselves. */
    List<Pool<?>> pools() {
        List<Pool<?>> pools = new ArrayList<>();
        for (StrataDataSource ds : instances(StrataDataSource.class)) {
            pools.add(ds.pool());
        }
        for (Component c : components) {
            if (c.instance() instanceof Pool<?> p) {
                pools.add(p);
            }
        }
        return pools;
    }

    /** Every attachment of the given type across {@code dependencies}, dependency by dependency. */
    static <T> List<T> attachments(Collection<Dependency> dependencies, Class<T> type) {
        List<T> found = new ArrayList<>();
        for (Dependency d : dependencies) {
            for (Object a : d.attachments.values()) {
                if (type.isInstance(a)) {
                    found.add(type.cast(a));
                }
            }
        }
        return found;
    }

    /** The instances of both lists, in order, each once (by identity). */
    static <T> List<T> distinct(List<T> first, List<T> second) {
        List<T> all = new ArrayList<>();
        for (List<T> list : List.of(first, second)) {
            for (T t : list) {
                if (all.stream().noneMatch(known -> known == t)) {
                    all.add(t);
                }
            }
        }
        return all;
    }

    /** What shutdown closes now, in its order. */
    List<Component> closingOrder() {
        return closingOrder(components);
    }

    /**
     * What the runtime closes of {@code made}, in the order it closes them: pools first (their
     * connections are what the databases count), each preceded by what its dependency made after
     * it (its attachments, e.g. the HTTP client or a cache over the pool), as
     * {@link AttachmentKey.Factory} promises: an attachment may still use its pool while it
     * closes. Then every other closeable in reverse creation order. Rate limiters are given,
     * possibly shared: whoever made them closes them (or hands them to {@link Strata#own}).
     */
    static List<Component> closingOrder(List<Component> made) {
        List<Component> reversed = new ArrayList<>(made);
        Collections.reverse(reversed);
        List<Component> order = new ArrayList<>();
        for (int i = 0; i < reversed.size(); i++) {
            Component pool = reversed.get(i);
            if (!isPool(pool)) {
                continue;
            }
            for (Component c : reversed.subList(0, i)) { // made after this pool, for the same dependency
                if (c.dependency().equals(pool.dependency()) && closesWithOthers(c) && !containsSame(order, c)) {
                    order.add(c);
                }
            }
            order.add(pool);
        }
        for (Component c : reversed) {
            if (closesWithOthers(c) && !containsSame(order, c)) {
                order.add(c);
            }
        }
        return order;
    }

    private static boolean closesWithOthers(Component c) {
        return !isPool(c) && !c.kind().equals("rate-limiter") && c.instance() instanceof AutoCloseable;
    }

    private static boolean containsSame(List<Component> list, Component c) {
        return list.stream().anyMatch(o -> o == c);
    }

    private static boolean isPool(Component c) {
        return c.instance() instanceof StrataDataSource || c.kind().equals("pool");
    }
}
