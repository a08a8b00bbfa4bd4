package dev.strata.internal;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleFunction;

/**
 * The one small JSON reader and writer of Strata's own packages (chaos control API, diagnosis
 * contract, health bodies, the CLI's shop and dashboard), so core needs no library. Not API.
 * Reads objects as {@link LinkedHashMap}, arrays as {@link ArrayList}, integers as {@link Long}
 * (as {@link BigDecimal} beyond its range), other numbers as {@link Double}, and
 * {@code true}/{@code false}/{@code null}. Anything that is not RFC 8259 JSON is rejected with
 * an {@link IllegalArgumentException} naming the subject (e.g. "body"), the problem and the offset.
 * Writes with a {@link Style}: {@link Style#STRICT} (compact, refuses NaN and unknown types) or a
 * lenient one (NaN/infinity as null, unknown types as their quoted {@code toString()}, doubles
 * formatted by the caller, optionally indented).
 */
public final class Json {

    private static final int MAX_DEPTH = 64;

    private final String text;
    private final String subject;
    private int position;

    private Json(String text, String subject) {
        this.text = text;
        this.subject = subject;
    }

    /**
     * Parses one JSON value filling the whole text (surrounding whitespace allowed).
     *
     * @param subject what the text is, starting every error message ("body", "diagnosis")
     * @throws IllegalArgumentException "{subject}: not valid JSON: {problem} at offset {n}"
     */
    public static Object parse(String text, String subject) {
        Json reader = new Json(text, subject);
        reader.skipWhitespace();
        Object value = reader.value(0);
        reader.skipWhitespace();
        if (reader.position != text.length()) {
            throw reader.error("unexpected text after the value");
        }
        return value;
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH);
        }
        if (position >= text.length()) {
            throw error("unexpected end");
        }
        char c = text.charAt(position);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("unexpected character '" + c + "'");
            }
        };
    }

    private Map<String, Object> object(int depth) {
        Map<String, Object> result = new LinkedHashMap<>();
        position++; // {
        skipWhitespace();
        if (peek() == '}') {
            position++;
            return result;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key");
            }
            String key = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            if (result.containsKey(key)) {
                throw error("duplicate key \"" + key + "\"");
            }
            result.put(key, value(depth + 1));
            skipWhitespace();
            char next = next();
            if (next == '}') {
                return result;
            }
            if (next != ',') {
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) {
        List<Object> result = new ArrayList<>();
        position++; // [
        skipWhitespace();
        if (peek() == ']') {
            position++;
            return result;
        }
        while (true) {
            skipWhitespace();
            result.add(value(depth + 1));
            skipWhitespace();
            char next = next();
            if (next == ']') {
                return result;
            }
            if (next != ',') {
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string() {
        position++; // opening quote
        StringBuilder out = new StringBuilder();
        while (true) {
            if (position >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(position++);
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                throw error("control character in string");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char escape = next();
            switch (escape) {
                case '"', '\\', '/' -> out.append(escape);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (position + 4 > text.length()) {
                        throw error("short \\u escape");
                    }
                    int code = 0;
                    for (int i = 0; i < 4; i++) {
                        int digit = Character.digit(text.charAt(position++), 16);
                        if (digit < 0) {
                            throw error("bad \\u escape");
                        }
                        code = code * 16 + digit;
                    }
                    out.append((char) code);
                }
                default -> throw error("bad escape '\\" + escape + "'");
            }
        }
    }

    private Object number() {
        int start = position;
        if (peek() == '-') {
            position++;
        }
        if (peek() == '0') {
            position++;
        } else if (isDigit(peek())) {
            digits();
        } else {
            throw error("expected a digit");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            position++;
            if (!isDigit(peek())) {
                throw error("expected a digit after '.'");
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            position++;
            if (peek() == '+' || peek() == '-') {
                position++;
            }
            if (!isDigit(peek())) {
                throw error("expected a digit in the exponent");
            }
            digits();
        }
        String literal = text.substring(start, position);
        if (integral) {
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException tooLarge) {
                return new BigDecimal(literal);
            }
        }
        return Double.parseDouble(literal);
    }

    private void digits() {
        while (isDigit(peek())) {
            position++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, position)) {
            throw error("unexpected word");
        }
        position += word.length();
        return value;
    }

    private char peek() {
        return position < text.length() ? text.charAt(position) : '\0';
    }

    private char next() {
        if (position >= text.length()) {
            throw error("unexpected end");
        }
        return text.charAt(position++);
    }

    private void expect(char c) {
        if (next() != c) {
            throw error("expected '" + c + "'");
        }
    }

    private void skipWhitespace() {
        while (position < text.length()) {
            char c = text.charAt(position);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            position++;
        }
    }

    private IllegalArgumentException error(String problem) {
        return new IllegalArgumentException(subject + ": not valid JSON: " + problem + " at offset " + position);
    }

    /**
     * How {@link #write(Object, Style)} writes.
     *
     * @param doubles null for strict (numbers as {@code toString()}, NaN/infinity and unknown types
     *        refused); otherwise the format of finite doubles and floats, with NaN/infinity written
     *        as null and unknown types as their quoted {@code toString()}
     * @param indented two-space indentation, {@code ": "} after keys, one value per line
     * @param escapeLessThan writes {@code <} as {@code \u003c}, so the text never closes a script tag
     */
    public record Style(DoubleFunction<String> doubles, boolean indented, boolean escapeLessThan) {

        /** Compact; refuses what JSON cannot say exactly. */
        public static final Style STRICT = new Style(null, false, false);
    }

    /**
     * A double format that writes whole numbers below 1e15 without a fraction and others with
     * {@code format} (e.g. {@code "%.4f"}), in the root locale.
     */
    public static DoubleFunction<String> wholeOr(String format) {
        return d -> d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d)
                : String.format(Locale.ROOT, format, d);
    }

    /**
     * A double format for values people read: whole numbers without a fraction, others rounded to
     * at most {@code maxDecimals} places with trailing zeros dropped ({@code 1.1}, {@code 0.3333},
     * never {@code 1.1000}), in plain notation.
     */
    public static DoubleFunction<String> decimals(int maxDecimals) {
        if (maxDecimals < 0 || maxDecimals > 15) {
            throw new IllegalArgumentException("maxDecimals: " + maxDecimals + " is out of range; allowed 0..15");
        }
        return d -> new java.math.BigDecimal(d).setScale(maxDecimals, java.math.RoundingMode.HALF_EVEN)
                .stripTrailingZeros().toPlainString();
    }

    /** Writes maps, iterables, strings, numbers, booleans and null as compact JSON ({@link Style#STRICT}). */
    public static String write(Object value) {
        return write(value, Style.STRICT);
    }

    /** Writes maps (in iteration order), iterables, strings, numbers, booleans and null in {@code style}. */
    public static String write(Object value, Style style) {
        StringBuilder out = new StringBuilder(256);
        write(value, out, style, 0);
        return out.toString();
    }

    /** {@code s} as a JSON string literal, quotes included; {@code null} for null. */
    public static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(s.length() + 2);
        quote(s, out, false);
        return out.toString();
    }

    private static void write(Object value, StringBuilder out, Style style, int depth) {
        boolean strict = style.doubles() == null;
        switch (value) {
            case null -> out.append("null");
            case String s -> quote(s, out, style.escapeLessThan());
            case Boolean b -> out.append(b);
            case Double d when strict && (d.isNaN() || d.isInfinite()) ->
                    throw new IllegalArgumentException("JSON has no " + d);
            case Float f when strict && (f.isNaN() || f.isInfinite()) ->
                    throw new IllegalArgumentException("JSON has no " + f);
            case Double d when !strict -> out.append(Double.isFinite(d) ? style.doubles().apply(d) : "null");
            case Float f when !strict -> out.append(Float.isFinite(f) ? style.doubles().apply(f.doubleValue()) : "null");
            case Number n -> out.append(n);
            case Map<?, ?> map -> {
                if (map.isEmpty()) {
                    out.append("{}");
                    return;
                }
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    newline(out, style, depth + 1);
                    quote(String.valueOf(entry.getKey()), out, style.escapeLessThan());
                    out.append(style.indented() ? ": " : ":");
                    write(entry.getValue(), out, style, depth + 1);
                }
                newline(out, style, depth);
                out.append('}');
            }
            case Iterable<?> items -> {
                if (!items.iterator().hasNext()) {
                    out.append("[]");
                    return;
                }
                out.append('[');
                boolean first = true;
                for (Object item : items) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    newline(out, style, depth + 1);
                    write(item, out, style, depth + 1);
                }
                newline(out, style, depth);
                out.append(']');
            }
            default -> {
                if (strict) {
                    throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
                }
                quote(value.toString(), out, style.escapeLessThan());
            }
        }
    }

    private static void newline(StringBuilder out, Style style, int depth) {
        if (style.indented()) {
            out.append('\n').append("  ".repeat(depth));
        }
    }

    private static void quote(String s, StringBuilder out, boolean escapeLessThan) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || (c == '<' && escapeLessThan)) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
