package dev.strata.shop;

/**
 * Something another part of Strata adds to the running shop: routes, filters, listeners on the
 * shop's events. A plug-in is a few lines in {@link ShopPlugins}:
 *
 * <pre>{@code
 * private static List<ShopPlugin> diagnosis() {
 *     return List.of(ShopPlugin.named("diagnosis", shop -> {
 *         Diagnoser diagnoser = Diagnoser.of(shop.runtime());       // the runtime closes it at shutdown
 *         shop.routes().get("/strata/diagnosis", request -> Response.json(200, diagnoser.diagnose().toJson()));
 *     }));
 * }
 * }</pre>
 *
 * <p>{@link #install} runs once at start, after the dependencies and the order service exist and
 * before the server accepts its first request; what it registers with {@link ShopContext#onClose}
 * is closed at shutdown, in reverse order, before the dependencies. A plug-in that throws stops the
 * start: the shop does not run half-assembled.
 */
@FunctionalInterface
public interface ShopPlugin {

    /** Registers routes, filters and listeners on the shop. */
    void install(ShopContext shop) throws Exception;

    /** The plug-in's name, shown beside its routes at start and in route conflicts. */
    default String name() {
        return getClass().getSimpleName();
    }

    /** A plug-in with a name, for one written as a lambda. */
    static ShopPlugin named(String name, ShopPlugin plugin) {
        Args.notBlank("name", name);
        Args.nonNull("plugin", plugin);
        return new ShopPlugin() {
            @Override
            public void install(ShopContext shop) throws Exception {
                plugin.install(shop);
            }

            @Override
            public String name() {
                return name;
            }
        };
    }
}
