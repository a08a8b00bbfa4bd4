package dev.strata.config;

import dev.strata.application.Secret;
import java.net.URI;
import dev.strata.internal.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * How a configuration value is written and read. {@link #parse} turns the text into a value or
 * throws {@link IllegalArgumentException} with a reason that tells how to write it (the loader adds
 * the location, key and value); {@link #format} writes a value back the way a user would.
 *
 * @param <T> the value's type
 */
public interface ValueType<T> {

    /** The type's name in the reference: {@code duration}, {@code integer}, ... */
    String name();

    /** Reads a value. */
    T parse(String text);

    /** Writes a value as it would appear in a file. */
    default String format(T value) {
        return String.valueOf(value);
    }

    /** Whether values of this type are masked wherever they are printed. */
    default boolean secret() {
        return false;
    }

    /** Whether the value is a list (a YAML sequence, or comma-separated in properties and env). */
    default boolean list() {
        return false;
    }

    /** Durations such as {@code 500ms}, {@code 2s}, {@code 1.5s}, {@code 1m}, {@code 1h}, {@code 1d}, or {@code 0}. */
    ValueType<Duration> DURATION = new ValueType<>() {
        @Override
        public String name() {
            return "duration";
        }

        @Override
        public Duration parse(String text) {
            return Durations.parse(text);
        }

        @Override
        public String format(Duration d) {
            return formatDuration(d);
        }
    };

    /** Whole numbers. */
    ValueType<Integer> INTEGER = new ValueType<>() {
        @Override
        public String name() {
            return "integer";
        }

        @Override
        public Integer parse(String text) {
            try {
                return Integer.valueOf(text.trim().replace("_", ""));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("is not a whole number");
            }
        }
    };

    /** Decimal numbers such as {@code 2} or {@code 1.5}. */
    ValueType<Double> DECIMAL = new ValueType<>() {
        @Override
        public String name() {
            return "decimal";
        }

        @Override
        public Double parse(String text) {
            try {
                double v = Double.parseDouble(text.trim());
                if (!Double.isFinite(v)) {
                    throw new NumberFormatException();
                }
                return v;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("is not a number");
            }
        }

        @Override
        public String format(Double value) {
            return value == Math.rint(value) ? Long.toString(value.longValue()) : value.toString();
        }
    };

    /** Shares written {@code 20%} or {@code 0.2}; the value is the fraction (0.2). */
    ValueType<Double> PERCENT = new ValueType<>() {
        @Override
        public String name() {
            return "percent";
        }

        @Override
        public Double parse(String text) {
            String t = text.trim();
            try {
                double v = t.endsWith("%") ? Double.parseDouble(t.substring(0, t.length() - 1).trim()) / 100.0
                        : Double.parseDouble(t);
                if (!Double.isFinite(v)) {
                    throw new NumberFormatException();
                }
                return v;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("is not a share; write a percentage like 20% or a fraction like 0.2");
            }
        }

        @Override
        public String format(Double value) {
            double pct = value * 100.0;
            return (pct == Math.rint(pct) ? Long.toString((long) pct) : String.format(Locale.ROOT, "%.2f", pct)) + "%";
        }
    };

    /** {@code true} or {@code false} (also {@code yes}/{@code no}, {@code on}/{@code off}). */
    ValueType<Boolean> BOOLEAN = new ValueType<>() {
        @Override
        public String name() {
            return "boolean";
        }

        @Override
        public Boolean parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on" -> true;
                case "false", "no", "off" -> false;
                default -> throw new IllegalArgumentException("is not a boolean; write true or false");
            };
        }
    };

    /** Any text. */
    ValueType<String> STRING = new ValueType<>() {
        @Override
        public String name() {
            return "string";
        }

        @Override
        public String parse(String text) {
            if (text.isBlank()) {
                throw new IllegalArgumentException("is blank");
            }
            return text;
        }
    };

    /** A secret (password, token): never printed, in errors, logs or {@code toString()}. */
    ValueType<Secret> SECRET = new ValueType<>() {
        @Override
        public String name() {
            return "secret";
        }

        @Override
        public Secret parse(String text) {
            return Secret.of(text);
        }

        @Override
        public String format(Secret value) {
            return Secret.MASK;
        }

        @Override
        public boolean secret() {
            return true;
        }
    };

    /** An absolute URL such as {@code http://127.0.0.1:8081/}. */
    ValueType<URI> URL = new ValueType<>() {
        @Override
        public String name() {
            return "url";
        }

        @Override
        public URI parse(String text) {
            try {
                URI uri = new URI(text.trim());
                if (uri.getScheme() == null || uri.getHost() == null) {
                    throw new IllegalArgumentException("is not an absolute URL; write scheme://host:port/path, e.g. http://127.0.0.1:8081/");
                }
                return uri;
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException("is not a URL (" + e.getReason() + ")");
            }
        }
    };

    /** One of a fixed set of words, written in lower case with {@code _} or {@code -}. */
    static <E extends Enum<E>> ValueType<E> oneOf(Class<E> type) {
        return new EnumType<>(type);
    }

    /** A list of values of {@code element}. */
    static <E> ValueType<List<E>> listOf(ValueType<E> element) {
        return new ValueType<>() {
            @Override
            public String name() {
                return "list of " + element.name();
            }

            @Override
            public List<E> parse(String text) {
                List<E> out = new ArrayList<>();
                for (String part : text.split(",")) {
                    if (!part.isBlank()) {
                        out.add(element.parse(part.trim()));
                    }
                }
                return List.copyOf(out);
            }

            @Override
            public String format(List<E> value) {
                return "[" + String.join(", ", value.stream().map(element::format).toList()) + "]";
            }

            @Override
            public boolean list() {
                return true;
            }
        };
    }

    /** A type reading with {@code parser}, for sections other modules add. */
    static <T> ValueType<T> of(String name, Function<String, T> parser) {
        Objects.requireNonNull(parser, "parser");
        return new ValueType<>() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public T parse(String text) {
                return parser.apply(text);
            }
        };
    }

    /** {@code 500ms}, {@code 2s}, {@code 1m}, {@code 1h}, {@code 1d}: the largest unit that is exact. */
    static String formatDuration(Duration d) {
        long nanos = d.toNanos();
        if (nanos == 0) {
            return "0";
        }
        long[] units = {86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L};
        String[] names = {"d", "h", "m", "s", "ms", "us"};
        for (int i = 0; i < units.length; i++) {
            if (nanos % units[i] == 0) {
                return nanos / units[i] + names[i];
            }
        }
        return nanos + "ns";
    }

    /** The enum type behind {@link #oneOf}. */
    final class EnumType<E extends Enum<E>> implements ValueType<E> {
        private final Class<E> type;

        EnumType(Class<E> type) {
            this.type = type;
        }

        @Override
        public String name() {
            return "one of " + String.join(", ", names());
        }

        List<String> names() {
            return Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT)).toList();
        }

        @Override
        public E parse(String text) {
            String t = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            for (E e : type.getEnumConstants()) {
                if (e.name().equals(t)) {
                    return e;
                }
            }
            String close = Suggest.closest(text.trim().toLowerCase(Locale.ROOT).replace('-', '_'), names());
            throw new IllegalArgumentException("is not allowed; allowed: " + String.join(", ", names())
                    + (close == null ? "" : "; did you mean '" + close + "'?"));
        }

        @Override
        public String format(E value) {
            return value.name().toLowerCase(Locale.ROOT);
        }
    }
}
