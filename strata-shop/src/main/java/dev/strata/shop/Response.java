package dev.strata.shop;

import dev.strata.internal.Json;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a {@link Routes.Handler} answers: a status, a content type, a body and extra headers.
 * Immutable; {@link #withHeader} returns a copy.
 *
 * @param status the HTTP status, 100 to 599
 * @param contentType the {@code Content-Type}
 * @param body the body bytes (empty for none)
 * @param headers extra response headers
 */
public record Response(int status, String contentType, byte[] body, Map<String, String> headers) {

    public Response {
        Args.between("status", status, 100, 599);
        Args.nonNull("contentType", contentType);
        Args.nonNull("body", body);
        headers = Map.copyOf(headers);
    }

    /**
     * The shop's and the demo's JSON: indented by two spaces; doubles with at most four decimals
     * (trailing zeros dropped, at least one kept), NaN as null; unknown types as quoted text.
     */
    private static final Json.Style JSON = new Json.Style(
            d -> String.format(Locale.ROOT, "%.4f", d).replaceAll("0+$", "").replaceAll("\\.$", ".0"), true, false);

    /** {@code tree} (maps, lists, strings, numbers, booleans, null) as the shop's JSON text, ending with a newline. */
    public static String jsonText(Object tree) {
        return Json.write(tree, JSON) + "\n";
    }

    /** A JSON answer; {@code json} must already be JSON text (see {@link #jsonText}). */
    public static Response json(int status, String json) {
        return new Response(status, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** A plain-text answer, UTF-8. */
    public static Response text(int status, String text) {
        return new Response(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** An HTML page, UTF-8. */
    public static Response html(int status, String html) {
        return new Response(status, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** The shop's error shape: {@code {"error": message, "status": status}}. */
    public static Response error(int status, String message) {
        return json(status, "{\"error\":" + Json.quote(message) + ",\"status\":" + status + "}");
    }

    /** This answer with one more header (replacing one of the same name). */
    public Response withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(Args.notBlank("name", name), Args.nonNull("value", value));
        return new Response(status, contentType, body, more);
    }

    /** The body as UTF-8 text, for tests and filters. */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
