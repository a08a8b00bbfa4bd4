package dev.strata.jdbc;

import dev.strata.testsupport.TestPostgres;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The README's data source example, run against the embedded PostgreSQL the tests share. */
class ReadmeDataSourceExampleTest {

    @Test
    void readmeDataSourceQueriesThroughAPipeline() throws Exception {
        String url = TestPostgres.shared().url();
        String user = "postgres";
        String password = "postgres";
        // --- README example starts
        StrataDataSource ordersDb = StrataDataSource.builder("orders-db", url)
                .user(user).password(password)
                .pool(p -> p.maxSize(10).minIdle(2)
                        .acquisitionTimeout(Duration.ofSeconds(1))     // fail fast instead of queueing for 30 s
                        .keepaliveInterval(Duration.ofSeconds(20)))    // below the server's and the NAT's idle timeout
                .build();

        Pipeline orders = Pipeline.builder("orders-db")
                .deadline(Duration.ofSeconds(2))                       // bounds the pool wait and the query too
                .retry(Retry.ofDefaults())
                .build();

        int one = orders.execute(() -> {
            try (Connection connection = ordersDb.getConnection();     // borrowed per attempt, back before any backoff
                 Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("select 1")) {
                rows.next();
                return rows.getInt(1);
            }
        });
        // --- README example ends
        try (ordersDb) {
            assertThat(one).isEqualTo(1);
            assertThat(ordersDb.stats().active()).isZero();
            assertThat(ordersDb.stats().acquisitions()).isEqualTo(1);
        }
    }
}
