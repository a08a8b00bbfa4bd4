package dev.strata.shop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ShopDatabaseTest {

    @Test
    void serverClosesIdleSessionsAndTheNextQueryFails() throws Exception {
        try (ShopDatabase db = ShopDatabase.start(Duration.ofMillis(500))) {
            assertThat(db.idleSessionTimeout()).isEqualTo(Duration.ofMillis(500));
            try (Connection c = db.open(); Statement s = c.createStatement()) {
                assertThat(s.executeQuery("SELECT count(*) FROM product").next()).isTrue();
                Thread.sleep(1500);
                Throwable failure = catchThrowable(() -> s.executeQuery("SELECT 1"));
                // What the naive pool hands out after a quiet period: a connection the server closed.
                assertThat(FaultClassifier.DEFAULT.classify(failure).kind()).isEqualTo(FaultKind.STALE_CONNECTION);
                assertThat(FaultClassifier.DEFAULT.classify(failure).layer()).isEqualTo(Layer.NETWORK);
            }
        }
    }
}
