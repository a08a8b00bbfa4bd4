package dev.strata.cache;

import dev.strata.fault.Fault;
import java.time.Duration;

/**
 * A value from a {@link StaleCache} and where it came from.
 *
 * @param value the value, never null
 * @param source whether it was loaded for this call, served fresh from the cache, or served stale
 *               because loading failed
 * @param age how long ago the value was loaded (zero when just loaded)
 * @param failure for {@link Source#STALE}: the fault of the load that failed, else null
 * @param <V> the value type
 */
public record CacheResult<V>(V value, Source source, Duration age, Fault failure) {

    /** Where a value came from. */
    public enum Source {
        /** Loaded through the dependency's pipeline for this call (or a call it joined). */
        LOADED,
        /** From the cache, younger than the freshness period. */
        CACHED,
        /** From the cache, older than the freshness period, because loading failed; see {@link #age()}. */
        STALE
    }

    /** Whether the value is served stale (loading failed); {@link #age()} says how stale. */
    public boolean stale() {
        return source == Source.STALE;
    }
}
