/**
 * The HTTP edge on the JDK's own client and server: {@link dev.strata.http.StrataHttpClient}
 * runs every {@code java.net.http} request of a dependency through its pipeline, and the
 * server-side helpers find the client behind proxies, rate-limit per client with 429s and drain
 * on shutdown. It composes the layers below it (network, resources, resilience) for HTTP, so it
 * sits above {@code dev.strata.resilience} and below the application.
 */
package dev.strata.http;
