package dev.strata.chaos;

import dev.strata.internal.Require;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One toxic as configured: immutable and validated when created. The same shape as a
 * Toxiproxy toxic: a name (by default {@code <type>_<stream>}), a type, the stream it acts on,
 * a toxicity (the probability, rolled once per connection, that it affects a connection) and
 * its attributes.
 *
 * <pre>{@code
 * proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 200, 20).withToxicity(0.5));
 * proxy.addToxic(Toxic.idleBlackhole(30_000).named("nat"));
 * }</pre>
 *
 * @param name unique within its proxy
 * @param type what it does
 * @param stream which direction's bytes it acts on
 * @param toxicity probability in 0..1 that a connection is affected
 * @param attributes every attribute of the type, missing ones filled with 0; unmodifiable
 */
public record Toxic(String name, ToxicType type, Direction stream, double toxicity, Map<String, Long> attributes) {

    /**
     * Validates and normalises.
     *
     * @throws IllegalArgumentException naming the field, the value and the allowed range
     */
    public Toxic {
        Require.nonNull("type", type);
        Require.nonNull("stream", stream);
        name = name == null || name.isEmpty() ? type.wireName() + "_" + stream.wireName() : Require.notBlank("name", name);
        Require.between("toxicity", toxicity, 0.0, 1.0);
        Map<String, Long> given = attributes == null ? Map.of() : attributes;
        for (String key : given.keySet()) {
            if (type.attribute(key) == null) {
                throw new IllegalArgumentException("attributes." + key + ": not an attribute of " + type.wireName()
                        + "; allowed " + type.attributes().stream().map(ToxicType.Attribute::name).toList());
            }
        }
        Map<String, Long> complete = new LinkedHashMap<>();
        for (ToxicType.Attribute attribute : type.attributes()) {
            Long value = given.get(attribute.name());
            long checked = Require.between("attributes." + attribute.name(), value == null ? 0L : value,
                    attribute.min(), attribute.max());
            complete.put(attribute.name(), checked);
        }
        attributes = Collections.unmodifiableMap(complete);
    }

    /** A toxic with toxicity 1 and the default name. */
    public static Toxic of(ToxicType type, Direction stream, Map<String, Long> attributes) {
        return new Toxic(null, type, stream, 1.0, attributes);
    }

    /** Delays each chunk by {@code latencyMillis} plus or minus up to {@code jitterMillis}. */
    public static Toxic latency(Direction stream, long latencyMillis, long jitterMillis) {
        return of(ToxicType.LATENCY, stream, Map.of("latency", latencyMillis, "jitter", jitterMillis));
    }

    /** Limits throughput to {@code kilobytesPerSecond} (1 KB = 1000 bytes). */
    public static Toxic bandwidth(Direction stream, long kilobytesPerSecond) {
        return of(ToxicType.BANDWIDTH, stream, Map.of("rate", kilobytesPerSecond));
    }

    /** Delays the end of stream by {@code delayMillis}. */
    public static Toxic slowClose(Direction stream, long delayMillis) {
        return of(ToxicType.SLOW_CLOSE, stream, Map.of("delay", delayMillis));
    }

    /** Drops data and closes after {@code timeoutMillis}; 0 holds the connection open forever. */
    public static Toxic timeout(Direction stream, long timeoutMillis) {
        return of(ToxicType.TIMEOUT, stream, Map.of("timeout", timeoutMillis));
    }

    /** Resets the connection {@code timeoutMillis} after data arrives. */
    public static Toxic resetPeer(Direction stream, long timeoutMillis) {
        return of(ToxicType.RESET_PEER, stream, Map.of("timeout", timeoutMillis));
    }

    /** Splits data into chunks of about {@code averageSize} bytes with {@code delayMicros} between them. */
    public static Toxic slicer(Direction stream, long averageSize, long sizeVariation, long delayMicros) {
        return of(ToxicType.SLICER, stream,
                Map.of("average_size", averageSize, "size_variation", sizeVariation, "delay", delayMicros));
    }

    /** Closes the connection after {@code bytes} bytes passed in this direction. */
    public static Toxic limitData(Direction stream, long bytes) {
        return of(ToxicType.LIMIT_DATA, stream, Map.of("bytes", bytes));
    }

    /**
     * Closes a connection idle in both directions for {@code timeoutMillis}; with a RST when
     * {@code reset}, else with a FIN. Named {@code idle_close_downstream} by default.
     */
    public static Toxic idleClose(long timeoutMillis, boolean reset) {
        return of(ToxicType.IDLE_CLOSE, Direction.DOWNSTREAM, Map.of("timeout", timeoutMillis, "reset", reset ? 1L : 0L));
    }

    /**
     * Silently stops forwarding, in both directions and for good, on a connection idle for
     * {@code timeoutMillis}. Named {@code idle_blackhole_downstream} by default.
     */
    public static Toxic idleBlackhole(long timeoutMillis) {
        return of(ToxicType.IDLE_BLACKHOLE, Direction.DOWNSTREAM, Map.of("timeout", timeoutMillis));
    }

    /** The same toxic under another name. */
    public Toxic named(String newName) {
        return new Toxic(Require.notBlank("name", newName), type, stream, toxicity, attributes);
    }

    /** The same toxic with another toxicity (0..1). */
    public Toxic withToxicity(double newToxicity) {
        return new Toxic(name, type, stream, newToxicity, attributes);
    }

    /** The same toxic with some attributes replaced; the others keep their values. */
    public Toxic withAttributes(Map<String, Long> changes) {
        Map<String, Long> merged = new LinkedHashMap<>(attributes);
        merged.putAll(Objects.requireNonNull(changes, "changes"));
        return new Toxic(name, type, stream, toxicity, merged);
    }

    /** The value of an attribute of this toxic's type. */
    public long attribute(String attributeName) {
        Long value = attributes.get(attributeName);
        if (value == null) {
            throw new IllegalArgumentException("attributes." + attributeName + ": not an attribute of " + type.wireName());
        }
        return value;
    }

    @Override
    public String toString() {
        return name + " (" + type.wireName() + " " + stream.wireName() + ", toxicity " + toxicity + ", " + attributes + ")";
    }
}
