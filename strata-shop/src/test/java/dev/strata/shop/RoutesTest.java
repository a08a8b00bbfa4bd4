package dev.strata.shop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shop's route table: what a plug-in author relies on when adding an endpoint or a filter. */
class RoutesTest {

    private static final Request GET_ANY = request("GET", "/");

    private static Request request(String method, String path) {
        return new Request(method, path, Map.of(), Map.of(), new byte[0], new InetSocketAddress("127.0.0.1", 1));
    }

    private static String answer(Routes routes, String method, String path) throws Exception {
        Routes.Match match = routes.match(method, path);
        assertThat(match).isInstanceOf(Routes.Found.class);
        return ((Routes.Found) match).chain().handle(request(method, path)).bodyText();
    }

    @Test
    void anExactPathWinsOverAPrefixAndALongerPrefixOverAShorterOne() throws Exception {
        Routes routes = new Routes();
        routes.get("/strata/*", r -> Response.text(200, "strata prefix"));
        routes.get("/strata/dashboard/*", r -> Response.text(200, "dashboard prefix"));
        routes.get("/strata/dashboard/app.js", r -> Response.text(200, "exact"));
        assertThat(answer(routes, "GET", "/strata/dashboard/app.js")).isEqualTo("exact");
        assertThat(answer(routes, "GET", "/strata/dashboard/style.css")).isEqualTo("dashboard prefix");
        assertThat(answer(routes, "GET", "/strata/dashboard")).isEqualTo("dashboard prefix");
        assertThat(answer(routes, "GET", "/strata/diagnosis")).isEqualTo("strata prefix");
        assertThat(answer(routes, "HEAD", "/strata/diagnosis")).as("HEAD is served by GET").isEqualTo("strata prefix");
        assertThat(routes.match("GET", "/strataX")).isInstanceOf(Routes.NotFound.class);
    }

    @Test
    void aKnownPathWithAnotherMethodListsTheAllowedOnes() {
        Routes routes = new Routes();
        routes.post("/checkout", r -> Response.text(200, "ok"));
        assertThat(routes.match("GET", "/checkout")).isEqualTo(new Routes.WrongMethod(List.of("POST")));
    }

    @Test
    void filtersWrapTheirPathsInRegistrationOrderAndMayAnswerThemselves() throws Exception {
        Routes routes = new Routes();
        routes.post("/checkout", r -> Response.text(200, "handler"));
        routes.get("/catalog", r -> Response.text(200, "catalog"));
        routes.filter("/*", (r, next) -> Response.text(200, "outer(" + next.handle(r).bodyText() + ")"));
        routes.filter("/checkout", (r, next) -> r.header("x-client").isPresent()
                ? next.handle(r) : Response.error(429, "too many requests").withHeader("Retry-After", "1"));
        assertThat(answer(routes, "POST", "/checkout")).contains("outer(").contains("too many requests");
        assertThat(answer(routes, "GET", "/catalog")).isEqualTo("outer(catalog)");
        Response limited = ((Routes.Found) routes.match("POST", "/checkout")).filters().get(1).filter(GET_ANY,
                r -> Response.text(200, "unreached"));
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.headers()).containsEntry("Retry-After", "1");
    }

    @Test
    void aPathTakenTwiceFailsNamingBothOwnersAndNothingRegistersOnceServing() {
        Routes routes = new Routes();
        routes.owner("diagnosis");
        routes.get("/strata/diagnosis", r -> Response.text(200, "one"));
        routes.owner("observability");
        assertThatThrownBy(() -> routes.get("/strata/diagnosis", r -> Response.text(200, "two")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route GET /strata/diagnosis: registered by diagnosis, registered again by observability;"
                        + " pick another path");
        assertThat(routes.describe()).containsExactly("GET /strata/diagnosis (diagnosis)");
        routes.freeze();
        assertThatThrownBy(() -> routes.get("/metrics", r -> Response.text(200, "late")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already serving");
    }

    @Test
    void badPathsAndMethodsAreRefusedWithTheRule() {
        Routes routes = new Routes();
        assertThatThrownBy(() -> routes.get("metrics", r -> null)).hasMessageContaining("path: 'metrics' is not allowed");
        assertThatThrownBy(() -> routes.get("/a/*/b", r -> null)).hasMessageContaining("may end in '/*'");
        assertThatThrownBy(() -> routes.get("/a?b=1", r -> null)).hasMessageContaining("have no query");
        assertThatThrownBy(() -> routes.route("get", "/a", r -> null)).hasMessageContaining("method: 'get' is not allowed");
    }
}
