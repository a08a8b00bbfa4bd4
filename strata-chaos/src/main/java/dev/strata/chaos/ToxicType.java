package dev.strata.chaos;

import java.util.List;

/**
 * The kinds of damage a {@link ChaosProxy} can do. The first seven are Toxiproxy's, with the
 * same wire names and attribute names; {@link #IDLE_CLOSE} and {@link #IDLE_BLACKHOLE} are
 * Strata's, for the idle-timeout and NAT-eviction failures Toxiproxy cannot produce.
 *
 * <p>Times are milliseconds unless an attribute says otherwise ({@code slicer}'s {@code delay}
 * is microseconds, as in Toxiproxy). A missing attribute is 0, as in Toxiproxy.
 */
public enum ToxicType {
    /** Delays every chunk by {@code latency} ms plus or minus up to {@code jitter} ms. */
    LATENCY("latency", List.of(Attribute.millis("latency"), Attribute.millis("jitter"))),
    /** Limits throughput to {@code rate} KB/s (1 KB = 1000 bytes); 0 means unlimited. */
    BANDWIDTH("bandwidth", List.of(new Attribute("rate", Attribute.Kind.NUMBER, 0, 10_000_000))),
    /** Delays passing on the end of the stream (the FIN) by {@code delay} ms. */
    SLOW_CLOSE("slow_close", List.of(Attribute.millis("delay"))),
    /**
     * Drops all data and closes the connection {@code timeout} ms after the toxic took effect
     * on it; with 0 it never closes and drops data until the toxic is removed.
     */
    TIMEOUT("timeout", List.of(Attribute.millis("timeout"))),
    /** When data arrives, waits {@code timeout} ms and then resets the connection (TCP RST). */
    RESET_PEER("reset_peer", List.of(Attribute.millis("timeout"))),
    /**
     * Splits data into chunks of about {@code average_size} bytes (plus or minus
     * {@code size_variation}) with {@code delay} microseconds between them.
     */
    SLICER("slicer", List.of(
            new Attribute("average_size", Attribute.Kind.NUMBER, 0, 1 << 20),
            new Attribute("size_variation", Attribute.Kind.NUMBER, 0, 1 << 20),
            new Attribute("delay", Attribute.Kind.NUMBER, 0, 60_000_000))),
    /** Lets {@code bytes} bytes through in its direction, then closes the connection. */
    LIMIT_DATA("limit_data", List.of(new Attribute("bytes", Attribute.Kind.NUMBER, 0, Long.MAX_VALUE))),
    /**
     * Closes any connection that carried no byte in either direction for {@code timeout} ms,
     * like a database's or a load balancer's idle timeout: with a FIN, or with a RST when
     * {@code reset} is true. Acts on the whole connection whatever its stream.
     */
    IDLE_CLOSE("idle_close", List.of(
            new Attribute("timeout", Attribute.Kind.NUMBER, 1, Attribute.MAX_MILLIS),
            new Attribute("reset", Attribute.Kind.BOOLEAN, 0, 1))),
    /**
     * Once a connection carried no byte in either direction for {@code timeout} ms, silently
     * drops everything in both directions for the rest of its life and closes nothing: the
     * NAT or firewall forgot the flow, so the socket exists only from each end's point of view.
     */
    IDLE_BLACKHOLE("idle_blackhole", List.of(
            new Attribute("timeout", Attribute.Kind.NUMBER, 1, Attribute.MAX_MILLIS)));

    private final String wireName;
    private final List<Attribute> attributes;

    ToxicType(String wireName, List<Attribute> attributes) {
        this.wireName = wireName;
        this.attributes = attributes;
    }

    /** The Toxiproxy type name, e.g. {@code reset_peer}. */
    public String wireName() {
        return wireName;
    }

    /** The attributes this type understands, in documentation order. */
    public List<Attribute> attributes() {
        return attributes;
    }

    /** The attribute of this type with that name, or null. */
    public Attribute attribute(String name) {
        for (Attribute attribute : attributes) {
            if (attribute.name().equals(name)) {
                return attribute;
            }
        }
        return null;
    }

    /**
     * Parses a wire name, ignoring case.
     *
     * @throws IllegalArgumentException naming the field and the allowed values
     */
    public static ToxicType fromWireName(String value) {
        for (ToxicType type : values()) {
            if (type.wireName.equalsIgnoreCase(value)) { // the official Java client sends LATENCY
                return type;
            }
        }
        StringBuilder allowed = new StringBuilder();
        for (ToxicType type : values()) {
            allowed.append(allowed.isEmpty() ? "" : ", ").append(type.wireName);
        }
        throw new IllegalArgumentException("type: '" + value + "' is not a known toxic; allowed " + allowed);
    }

    /**
     * One attribute of a toxic type. Values are whole numbers; a boolean is stored as 0 or 1
     * and written to JSON as {@code false} or {@code true}.
     *
     * @param name the Toxiproxy attribute name
     * @param kind number or boolean
     * @param min smallest allowed value
     * @param max largest allowed value
     */
    public record Attribute(String name, Kind kind, long min, long max) {

        /** One hour: the longest time attribute accepted, so every toxic wait has a bound. */
        static final long MAX_MILLIS = 3_600_000;

        /** How the value is written in JSON. */
        public enum Kind { NUMBER, BOOLEAN }

        static Attribute millis(String name) {
            return new Attribute(name, Kind.NUMBER, 0, MAX_MILLIS);
        }
    }
}
