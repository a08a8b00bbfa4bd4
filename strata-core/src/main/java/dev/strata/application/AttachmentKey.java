package dev.strata.application;

import dev.strata.internal.Require;

/**
 * The typed name of something attached to a dependency beside its pipeline and pool: its HTTP
 * client, its rate limiter, its cache. Other modules declare one constant each, e.g.
 * {@code AttachmentKey<StrataHttpClient> HTTP = AttachmentKey.of("http", StrataHttpClient.class)},
 * register a factory on the {@link StrataBuilder}, and read it with {@link Dependency#attachment}.
 * Keys are equal when name and type are.
 *
 * @param name unique short name, e.g. {@code http}
 * @param type the attachment's type
 * @param <T> the attachment's type
 */
public record AttachmentKey<T>(String name, Class<T> type) {

    public AttachmentKey {
        Require.notBlank("name", name);
        Require.nonNull("type", type);
    }

    /** A key for attachments of {@code type} named {@code name}. */
    public static <T> AttachmentKey<T> of(String name, Class<T> type) {
        return new AttachmentKey<>(name, type);
    }

    /**
     * Creates the attachment of one dependency. Called once per dependency, when the dependency's
     * resources are created (at {@link Strata#start()} or on first use), after its pool. An
     * attachment that is {@link AutoCloseable} is closed on shutdown, before the pool it came after.
     *
     * @param <T> the attachment's type
     */
    @FunctionalInterface
    public interface Factory<T> {
        /**
         * @param dependency the handle: its name, pipeline, settings ({@link Dependency#httpBaseUrl()}), events
         * @return the attachment, or null when this dependency gets none (e.g. it has no HTTP base URL)
         * @throws Exception when it cannot be created; the dependency's creation fails with it, and what
         *     was made for the dependency so far (its pool, earlier attachments) is closed again
         */
        T create(Dependency dependency) throws Exception;
    }
}
