package dev.strata.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class PostgresIdleSessionStateTest {

    @Test
    void idleSessionTimeoutAsSentByPostgres14IsAStaleConnection() {
        // PostgreSQL 14+ ends an idle session with FATAL 57P05; the connection is gone, not the query wrong
        Fault fault = FaultClassifier.DEFAULT.classify(new SQLException("terminating connection due to idle-session timeout", "57P05"));

        assertThat(fault.kind()).isEqualTo(FaultKind.STALE_CONNECTION);
        assertThat(fault.layer()).isEqualTo(Layer.NETWORK);
        assertThat(fault.kind().poisonsConnection()).isTrue();
    }
}
