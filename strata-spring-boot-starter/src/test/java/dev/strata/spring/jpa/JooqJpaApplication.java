package dev.strata.spring.jpa;

import dev.strata.spring.StrataCall;
import java.util.function.Supplier;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A Spring Boot application with jOOQ and JPA (Spring Data repositories) and no Strata code but
 * one {@link StrataCall}: its DataSource is the starter's, from its own {@code spring.datasource}
 * keys. In its own package, so component and repository scanning see only this application.
 */
@SpringBootApplication
public class JooqJpaApplication {

    /**
     * Runs work in a transaction, each attempt through the pipeline of {@code datasource}, the
     * dependency {@code spring.datasource} maps to.
     */
    public static class Retried {
        private final TransactionTemplate transaction;

        Retried(TransactionTemplate transaction) {
            this.transaction = transaction;
        }

        /** One logical call: each attempt (the pipeline retries a connection fault) is a new transaction. */
        @StrataCall("datasource")
        public <T> T inTransaction(Supplier<T> work) {
            return transaction.execute(status -> work.get());
        }
    }

    @Bean
    Retried retried(PlatformTransactionManager transactions) {
        return new Retried(new TransactionTemplate(transactions));
    }
}
