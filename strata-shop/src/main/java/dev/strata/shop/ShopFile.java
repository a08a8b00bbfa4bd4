package dev.strata.shop;

import dev.strata.config.ConfigSchema;
import dev.strata.config.LoadedConfig;
import dev.strata.config.StrataConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The shop's configuration file: {@code examples/shop.yaml} (built into the jar) or another one,
 * loaded through strata-config with the shop's {@link ShopConfig#SCHEMA section}. The Strata part
 * describes one dependency per thing the order service calls; their URLs name the chaos proxies'
 * ports through {@code ${SHOP_<NAME>_PORT}} placeholders, which the shop fills in once the proxies
 * listen.
 *
 * @param name how errors refer to the file
 * @param yaml its text
 * @param path where it was read from, watched for changes by the running shop; null when built in
 */
public record ShopFile(String name, String yaml, Path path) {

    /** A file with no place on disk (nothing to watch). */
    public ShopFile(String name, String yaml) {
        this(name, yaml, null);
    }

    /** The database's dependency name. */
    static final String ORDERS_DB = "orders-db";

    /** Every dependency the order service calls; the file must declare each. */
    static final List<String> DEPENDENCIES = List.of(ORDERS_DB, ShopCalls.PAYMENTS, ShopCalls.INVENTORY,
            ShopCalls.RECOMMENDATIONS);

    private static final String BUNDLED = "/dev/strata/shop/shop.yaml";

    /** {@code examples/shop.yaml} as built into the jar. */
    public static ShopFile bundled() {
        try (InputStream in = ShopFile.class.getResourceAsStream(BUNDLED)) {
            if (in == null) {
                throw new IllegalStateException("the built-in shop.yaml is missing from the class path (" + BUNDLED + ")");
            }
            return new ShopFile("examples/shop.yaml (built in)", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the built-in shop.yaml: " + e.getMessage(), e);
        }
    }

    /**
     * A file of the user's.
     *
     * @throws IllegalArgumentException naming the file when it cannot be read
     */
    public static ShopFile file(Path file) {
        try {
            return new ShopFile(file.toString(), Files.readString(file, StandardCharsets.UTF_8), file);
        } catch (IOException e) {
            throw new IllegalArgumentException("--config: '" + file + "' cannot be read: " + e, e);
        }
    }

    /**
     * Loads and validates the file: every problem at once ({@link dev.strata.config.ConfigException}),
     * plus a missing dependency of the order service. Environment variables override keys as
     * strata-config describes; {@code proxyPorts} fill the {@code SHOP_<NAME>_PORT} placeholders
     * (before the proxies exist, port 0 stands in, so the file is validated before anything starts).
     */
    LoadedConfig load(Map<String, Integer> proxyPorts) {
        Map<String, String> environment = new HashMap<>(System.getenv());
        for (String dependency : DEPENDENCIES) {
            environment.put(portVariable(dependency), String.valueOf(proxyPorts.getOrDefault(dependency, 0)));
        }
        LoadedConfig loaded = StrataConfig.loader()
                .schema(ConfigSchema.standard().with(ShopConfig.SCHEMA))
                .yaml(name, yaml)
                .environment(environment)
                .load();
        for (String dependency : DEPENDENCIES) {
            if (!loaded.dependencies().containsKey(dependency)) {
                throw new IllegalArgumentException(name + ": dependencies." + dependency + " is missing; the shop calls "
                        + DEPENDENCIES + " and reaches each through its chaos proxy");
            }
        }
        if (loaded.dependencies().get(ORDERS_DB).find("jdbc.url", String.class).isEmpty()) {
            throw new IllegalArgumentException(name + ": dependencies." + ORDERS_DB + ".jdbc.url is missing; e.g. "
                    + "\"jdbc:postgresql://127.0.0.1:${" + portVariable(ORDERS_DB) + "}/postgres\"");
        }
        return loaded;
    }

    /** {@code SHOP_ORDERS_DB_PORT} for {@code orders-db}. */
    static String portVariable(String dependency) {
        return "SHOP_" + dependency.toUpperCase(Locale.ROOT).replace('-', '_') + "_PORT";
    }
}
