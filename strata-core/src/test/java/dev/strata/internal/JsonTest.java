package dev.strata.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void readsEveryKindOfValue() {
        Object parsed = Json.parse(" {\"s\":\"a\\\"b\\\\c\\n\\u00e9\\/\",\"i\":-12,\"d\":0.5,\"e\":1e3,\"t\":true,\"f\":false,"
                + "\"n\":null,\"a\":[1,[2],{}],\"o\":{\"x\":{}} } ", "body");
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("s", "a\"b\\c\né/");
        expected.put("i", -12L);
        expected.put("d", 0.5);
        expected.put("e", 1000.0);
        expected.put("t", true);
        expected.put("f", false);
        expected.put("n", null);
        expected.put("a", List.of(1L, List.of(2L), Map.of()));
        expected.put("o", Map.of("x", Map.of()));
        assertThat(parsed).isEqualTo(expected);
        assertThat(Json.parse("123456789012345678901234567890", "body")).isEqualTo(new BigDecimal("123456789012345678901234567890"));
    }

    @Test
    void writesWhatItReads() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("quote", "say \"hi\"\t\u0001");
        value.put("list", Arrays.asList(1L, 2.5, null, true));
        value.put("nested", Map.of("k", "v"));
        String json = Json.write(value);
        assertThat(json).isEqualTo("{\"quote\":\"say \\\"hi\\\"\\t\\u0001\",\"list\":[1,2.5,null,true],\"nested\":{\"k\":\"v\"}}");
        assertThat(Json.parse(json, "body")).isEqualTo(value);
    }

    @Test
    void rejectsWhatIsNotJson() {
        for (String bad : List.of("", "{", "[1,]", "{\"a\":1,}", "{'a':1}", "01", "1.", "-", "tru", "\"\\x\"", "\"open",
                "{\"a\":1}{", "{\"a\":1,\"a\":2}", "[1 2]", "\"tab\there\"", "NaN", "[".repeat(100) + "]".repeat(100))) {
            assertThatThrownBy(() -> Json.parse(bad, "body")).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("body: not valid JSON");
        }
        assertThatThrownBy(() -> Json.write(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void errorsNameTheCallersSubject() {
        assertThatThrownBy(() -> Json.parse("[1,]", "diagnosis")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("diagnosis: not valid JSON: unexpected character ']' at offset 3");
    }

    @Test
    void lenientStylesFormatDoublesAsTheCallerSays() {
        Json.Style health = new Json.Style(Json.wholeOr("%.4f"), false, false);
        Json.Style samples = new Json.Style(Json.wholeOr("%.4g"), false, true);
        List<Object> values = Arrays.asList(3.0, 0.5, 123.456789, Double.NaN, Float.POSITIVE_INFINITY, 7L);
        assertThat(Json.write(values, health)).isEqualTo("[3,0.5000,123.4568,null,null,7]");
        assertThat(Json.write(values, samples)).isEqualTo("[3,0.5000,123.5,null,null,7]");
        // unknown types are written as quoted text; '<' escaped only where asked
        assertThat(Json.write(Map.of("a<b", Thread.State.NEW), samples)).isEqualTo("{\"a\\u003cb\":\"NEW\"}");
        assertThat(Json.write(Map.of("a<b", Thread.State.NEW), health)).isEqualTo("{\"a<b\":\"NEW\"}");
        assertThatThrownBy(() -> Json.write(Thread.State.NEW)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decimalsWritesWhatPeopleReadWithoutPaddedZeros() {
        Json.Style health = new Json.Style(Json.decimals(4), false, false);
        List<Object> values = Arrays.asList(1.1, 1.0, 0.8, 1.0 / 3, 123.456789, 0.00001, 1e20, -2.5, Double.NaN);
        assertThat(Json.write(values, health)).isEqualTo("[1.1,1,0.8,0.3333,123.4568,0,100000000000000000000,-2.5,null]");
        assertThatThrownBy(() -> Json.decimals(16)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxDecimals: 16 is out of range; allowed 0..15");
    }

    @Test
    void indentedStyleWritesOneValuePerLine() {
        Json.Style pretty = new Json.Style(d -> Double.toString(d), true, false);
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("a", List.of(1L, Map.of()));
        value.put("b", List.of());
        value.put("c", Map.of("k", "v"));
        assertThat(Json.write(value, pretty)).isEqualTo("""
                {
                  "a": [
                    1,
                    {}
                  ],
                  "b": [],
                  "c": {
                    "k": "v"
                  }
                }""");
        assertThat(Json.quote("x\"\n")).isEqualTo("\"x\\\"\\n\"");
        assertThat(Json.quote(null)).isEqualTo("null");
    }
}
