package dev.strata.chaos;

import dev.strata.internal.Json;
import dev.strata.internal.Require;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Proxies and toxics as Toxiproxy's JSON bodies, both ways. Reading is strict: an unknown field,
 * a value of the wrong type or an attribute the toxic type lacks is an
 * {@link IllegalArgumentException} naming the field, which the API answers with 400.
 */
final class ToxiproxyJson {

    private static final List<String> PROXY_FIELDS = List.of("name", "listen", "upstream", "enabled", "toxics");
    private static final List<String> TOXIC_FIELDS = List.of("name", "type", "stream", "toxicity", "attributes");

    private ToxiproxyJson() {
    }

    static Map<String, Object> proxyJson(ChaosProxy proxy) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", proxy.name());
        json.put("listen", ChaosProxy.format(proxy.listenAddress()));
        json.put("upstream", ChaosProxy.format(proxy.upstreamAddress()));
        json.put("enabled", proxy.isEnabled());
        json.put("toxics", proxy.toxics().stream().map(ToxiproxyJson::toxicJson).toList());
        return json;
    }

    static Map<String, Object> toxicJson(Toxic toxic) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        for (ToxicType.Attribute attribute : toxic.type().attributes()) {
            long value = toxic.attribute(attribute.name());
            attributes.put(attribute.name(), attribute.kind() == ToxicType.Attribute.Kind.BOOLEAN ? value != 0 : value);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", toxic.name());
        json.put("type", toxic.type().wireName());
        json.put("stream", toxic.stream().wireName());
        json.put("toxicity", toxic.toxicity());
        json.put("attributes", attributes);
        return json;
    }

    static Toxic toxicFrom(Map<String, Object> body) {
        rejectUnknown("toxic", body, TOXIC_FIELDS);
        if (!body.containsKey("type")) {
            throw new IllegalArgumentException("type: missing; every toxic needs a type");
        }
        ToxicType type = ToxicType.fromWireName(asString("type", body.get("type")));
        Direction stream = body.get("stream") == null ? Direction.DOWNSTREAM
                : Direction.fromWireName(asString("stream", body.get("stream")));
        double toxicity = body.get("toxicity") == null ? 1.0 : asDouble("toxicity", body.get("toxicity"));
        String name = body.get("name") == null ? null : asString("name", body.get("name"));
        return new Toxic(name, type, stream, toxicity, attributesFrom(type, body.get("attributes")));
    }

    /** {@code current} with what the body changes; type and name cannot change. */
    static Toxic toxicUpdate(Toxic current, Map<String, Object> body) {
        rejectUnknown("toxic", body, TOXIC_FIELDS);
        if (body.get("type") != null && ToxicType.fromWireName(asString("type", body.get("type"))) != current.type()) {
            throw new IllegalArgumentException("type: a toxic's type cannot change; delete and create it");
        }
        if (body.get("name") != null && !current.name().equals(body.get("name"))) {
            throw new IllegalArgumentException("name: a toxic cannot be renamed; delete and create it");
        }
        Direction stream = body.get("stream") == null ? current.stream() : Direction.fromWireName(asString("stream", body.get("stream")));
        double toxicity = body.get("toxicity") == null ? current.toxicity() : asDouble("toxicity", body.get("toxicity"));
        Map<String, Long> attributes = new LinkedHashMap<>(current.attributes());
        attributes.putAll(attributesFrom(current.type(), body.get("attributes")));
        return new Toxic(current.name(), current.type(), stream, toxicity, attributes);
    }

    private static Map<String, Long> attributesFrom(ToxicType type, Object value) {
        Map<String, Long> result = new LinkedHashMap<>();
        if (value == null) {
            return result;
        }
        for (Map.Entry<String, Object> entry : asObject("attributes", value).entrySet()) {
            String field = "attributes." + entry.getKey();
            ToxicType.Attribute attribute = type.attribute(entry.getKey());
            if (attribute == null) {
                throw new IllegalArgumentException(field + ": not an attribute of " + type.wireName()
                        + "; allowed " + type.attributes().stream().map(ToxicType.Attribute::name).toList());
            }
            Object raw = entry.getValue();
            long number;
            if (attribute.kind() == ToxicType.Attribute.Kind.BOOLEAN && raw instanceof Boolean flag) {
                number = flag ? 1 : 0;
            } else if (raw instanceof Long whole) {
                number = whole;
            } else if (raw instanceof Double real && real == Math.rint(real) && Math.abs(real) < 9.0e15) {
                number = real.longValue(); // some clients write 100.0 for 100
            } else if (raw instanceof BigDecimal) {
                throw new IllegalArgumentException(field + ": " + raw + " is out of range; allowed "
                        + attribute.min() + ".." + attribute.max());
            } else {
                throw new IllegalArgumentException(field + ": " + Json.write(raw) + " is not allowed; must be "
                        + (attribute.kind() == ToxicType.Attribute.Kind.BOOLEAN ? "true or false" : "a whole number"));
            }
            result.put(entry.getKey(), number);
        }
        return result;
    }

    /** A proxy as described in a create or populate body; {@code toxics} null when the body has none. */
    record ProxySpec(String name, InetSocketAddress listen, InetSocketAddress upstream, boolean enabled, List<Toxic> toxics) {

        static ProxySpec from(Map<String, Object> body) {
            rejectUnknown("proxy", body, PROXY_FIELDS);
            // read in this order: the first bad field is the one the error names
            String name = Require.notBlank("name", body.get("name") == null ? null : asString("name", body.get("name")));
            InetSocketAddress listen = ChaosServer.parseAddress("listen",
                    body.get("listen") == null ? "127.0.0.1:0" : asString("listen", body.get("listen")));
            InetSocketAddress upstream = ChaosServer.parseAddress("upstream",
                    body.get("upstream") == null ? null : asString("upstream", body.get("upstream")));
            boolean enabled = body.get("enabled") == null || asBoolean("enabled", body.get("enabled"));
            List<Toxic> toxics = null;
            if (body.get("toxics") != null) {
                if (!(body.get("toxics") instanceof List<?> list)) {
                    throw new IllegalArgumentException("toxics: expected an array");
                }
                toxics = new ArrayList<>();
                for (Object toxic : list) {
                    toxics.add(toxicFrom(asObject("toxics[]", toxic)));
                }
            }
            return new ProxySpec(name, listen, upstream, enabled, toxics);
        }
    }

    /** Checks a proxy update body (the API's PATCH/POST on one proxy) for unknown fields. */
    static void rejectUnknownProxyFields(Map<String, Object> body) {
        rejectUnknown("proxy", body, PROXY_FIELDS);
    }

    private static void rejectUnknown(String what, Map<String, Object> body, List<String> known) {
        for (String key : body.keySet()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException(key + ": not a field of a " + what + "; allowed " + known);
            }
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asObject(String field, Object value) {
        if (value instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw new IllegalArgumentException(field + ": expected a JSON object");
    }

    static String asString(String field, Object value) {
        if (value instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException(field + ": " + Json.write(value) + " is not allowed; must be a string");
    }

    static boolean asBoolean(String field, Object value) {
        if (value instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException(field + ": " + Json.write(value) + " is not allowed; must be true or false");
    }

    private static double asDouble(String field, Object value) {
        if (value instanceof Number n && !(value instanceof BigDecimal)) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException(field + ": " + Json.write(value) + " is not allowed; must be a number in 0..1");
    }
}
