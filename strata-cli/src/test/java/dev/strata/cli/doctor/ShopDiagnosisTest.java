package dev.strata.cli.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.cli.StrataCli;
import dev.strata.shop.ShopProcess;
import dev.strata.diagnosis.Diagnosis;
import dev.strata.fault.Layer;
import eu.rekawek.toxiproxy.Proxy;
import eu.rekawek.toxiproxy.ToxiproxyClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The running shop (a child JVM) answers {@code GET /strata/diagnosis} with the contract, and
 * names the layer when its payments dependency is cut off through its chaos API.
 */
class ShopDiagnosisTest {

    @Test
    void theShopServesItsDiagnosisAndNamesARefusedDependency() throws Exception {
        try (ShopProcess shop = ShopProcess.start()) {
            HttpResponse<String> first = shop.get("/strata/diagnosis");
            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(first.headers().firstValue("content-type").orElse("")).contains("json");
            Diagnosis healthy = Diagnosis.parse(first.body());
            assertThat(healthy.healthy()).as(healthy.toText()).isTrue();

            Proxy payments = new ToxiproxyClient("127.0.0.1", shop.chaosPort()).getProxy("payments");
            payments.disable(); // nothing accepts connections for payments any more: L1, connection refused
            long faultAt = System.nanoTime();
            Diagnosis d = healthy;
            while (System.nanoTime() - faultAt < Duration.ofSeconds(10).toNanos()
                    && (d.first() == null || !d.first().id().equals("connect-refused"))) {
                shop.post("/checkout");
                d = Diagnosis.parse(shop.get("/strata/diagnosis").body());
            }
            assertThat(d.first()).as(d.toText()).isNotNull();
            assertThat(d.first().id()).as(d.toText()).isEqualTo("connect-refused");
            assertThat(d.first().layer()).isEqualTo(Layer.NETWORK);
            assertThat(d.first().dependency()).isEqualTo("payments");

            StringWriter out = new StringWriter();
            int code = new CommandLine(new StrataCli()).setOut(new PrintWriter(out, true))
                    .execute("doctor", "watch", "--url", shop.uri().toString(), "--count", "1");
            assertThat(code).isZero();
            assertThat(out.toString()).contains("first: L1 connect-refused").contains("[payments]");
            payments.enable();
        }
    }
}
