package dev.strata.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.table;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.strata.application.Strata;
import dev.strata.jdbc.StrataDataSource;
import dev.strata.pool.Pool;
import dev.strata.spring.jpa.JooqJpaApplication;
import dev.strata.spring.jpa.Parcel;
import dev.strata.spring.jpa.ParcelRepository;
import dev.strata.testsupport.TestPostgres;
import jakarta.persistence.EntityManagerFactory;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.hibernate.engine.jdbc.connections.spi.ConnectionProvider;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.jooq.DSLContext;
import org.jooq.impl.DataSourceConnectionProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.orm.jpa.EntityManagerFactoryInfo;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.util.ClassUtils;

/**
 * Issue 19: jOOQ and JPA run unchanged on the starter's DataSource. {@link JooqJpaApplication} is
 * an ordinary Spring Boot application using Boot's own jOOQ, Hibernate and Spring Data JPA
 * auto-configuration, configured the way such an application already is ({@code spring.datasource.*},
 * {@code spring.jpa.*}, against embedded PostgreSQL), plus Strata's pool settings for the dependency
 * {@code spring.datasource} maps to, {@code datasource}; the test starts and closes it itself. It
 * shows that:
 * <ul>
 *   <li>jOOQ's {@code DSLContext} and Hibernate's connection provider both use the starter's
 *       {@link StrataDataSource}, the runtime's own for {@code datasource}; HikariCP, on the class
 *       path by the Boot starters, creates no pool (no bean, no {@code HikariPool} thread);</li>
 *   <li>a write and a read through each work, borrowing from the Strata pool;</li>
 *   <li>after an administrator terminated the pool's backends, the next plain jOOQ and JPA read
 *       succeeds with the default pool settings: a connection idle past {@code validation_bypass}
 *       is validated on borrow and the dead one replaced;</li>
 *   <li>a backend terminated inside a transaction fails that transaction (no pool can hide it) and
 *       its connection is evicted, not lent again; run through {@link StrataCall}, the pipeline
 *       runs the transaction again on a live connection and the call succeeds;</li>
 *   <li>closing the context runs JPA's own shutdown work ({@code create-drop} drops its table)
 *       and then leaves no backend of the application in {@code pg_stat_activity} and no pool
 *       thread.</li>
 * </ul>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SpringJooqJpaTest {

    private static final String APP = "spring-jooq-jpa-test"; // the ApplicationName in spring-jooq-jpa.yml
    private static final TestPostgres PG = TestPostgres.shared();
    private static final long WAIT_MILLIS = 10_000;

    private static ConfigurableApplicationContext context;

    @BeforeAll
    static void start() {
        context = new SpringApplicationBuilder(JooqJpaApplication.class)
                .web(WebApplicationType.NONE)
                .run("--spring.config.location=classpath:spring-jooq-jpa.yml", "--jooq-jpa.pg-port=" + PG.port());
    }

    @AfterAll
    static void closeIfStillOpen() {
        if (context != null) {
            context.close();
        }
    }

    private static StrataDataSource strataDataSource() {
        return context.getBean(Strata.class).dependency("datasource").dataSource();
    }

    private static DSLContext jooq() {
        return context.getBean(DSLContext.class);
    }

    private static ParcelRepository parcels() {
        return context.getBean(ParcelRepository.class);
    }

    private static TransactionTemplate transaction() {
        return new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
    }

    @Test
    @Order(1)
    void jooqAndJpaUseTheStrataDataSourceAndNoHikariPoolIsCreated() throws Exception {
        StrataDataSource strata = strataDataSource();
        assertThat(context.getBean(DataSource.class)).isSameAs(strata);
        assertThat(context.getBeansOfType(DataSource.class)).containsOnlyKeys("datasourceDataSource");

        DataSourceConnectionProvider jooqConnections =
                (DataSourceConnectionProvider) jooq().configuration().connectionProvider();
        assertThat(unwrapSpringProxies(jooqConnections.dataSource())).isSameAs(strata);

        EntityManagerFactory emf = context.getBean(EntityManagerFactory.class);
        assertThat(((EntityManagerFactoryInfo) emf).getDataSource()).isSameAs(strata);
        DataSource hibernates = emf.unwrap(SessionFactoryImplementor.class).getServiceRegistry()
                .requireService(ConnectionProvider.class).unwrap(DataSource.class);
        assertThat(hibernates).isSameAs(strata);

        // HikariCP is there to be picked (spring-boot-starter-jdbc brings it), yet backed off
        assertThat(ClassUtils.isPresent("com.zaxxer.hikari.HikariDataSource", null)).isTrue();
        assertThat(context.getBeanNamesForType(com.zaxxer.hikari.HikariDataSource.class)).isEmpty();
        List<String> threads = threadNames();
        assertThat(threads).as("the dump sees the Strata pool's (virtual) housekeeper")
                .contains("strata-pool-datasource-housekeeper");
        assertThat(threads).noneMatch(name -> name.startsWith("HikariPool"));
    }

    @Test
    @Order(2)
    void jooqWritesAndReadsThroughTheStrataPool() {
        DSLContext dsl = jooq();
        long before = strataDataSource().stats().acquisitions();
        dsl.execute("DROP TABLE IF EXISTS jooq_parcels");
        dsl.execute("CREATE TABLE jooq_parcels (id BIGSERIAL PRIMARY KEY, label TEXT NOT NULL)");
        assertThat(dsl.insertInto(table("jooq_parcels"), field("label")).values("tea").values("coffee").execute()).isEqualTo(2);
        assertThat(dsl.fetchCount(table("jooq_parcels"), field("label").eq("tea"))).isEqualTo(1);
        assertThat(strataDataSource().stats().acquisitions() - before).as("one borrow per statement").isGreaterThanOrEqualTo(4);
    }

    @Test
    @Order(3)
    void jpaWritesAndReadsThroughTheStrataPool() {
        long before = strataDataSource().stats().acquisitions();
        Parcel saved = parcels().save(new Parcel("book"));
        assertThat(saved.getId()).isNotNull();
        List<Parcel> found = parcels().findByLabel("book");
        assertThat(found).extracting(Parcel::getId).containsExactly(saved.getId());
        assertThat(strataDataSource().stats().acquisitions() - before).isGreaterThanOrEqualTo(2);
    }

    @Test
    @Order(4)
    void plainJooqAndJpaReadsSucceedAfterTheBackendsWereTerminated() throws Exception {
        StrataDataSource dataSource = strataDataSource();
        long bypassMillis = dataSource.pool().config().validationBypass().toMillis();

        List<Integer> killed = terminateBackends(null);
        assertThat(killed).as("the pool keeps min_idle connections open").isNotEmpty();
        long staleBefore = dataSource.stats().staleDetected();
        // the connections were used moments ago: once idle past the bypass window, a borrow validates them
        Thread.sleep(bypassMillis + 100);
        assertThat(jooq().fetchCount(table("jooq_parcels"))).isEqualTo(2);
        int jooqPid = jooq().select(field("pg_backend_pid()", Integer.class)).fetchSingle().value1();
        assertThat(killed).doesNotContain(jooqPid);

        killed = terminateBackends(null);
        assertThat(killed).isNotEmpty();
        Thread.sleep(bypassMillis + 100);
        assertThat(parcels().findByLabel("book")).hasSize(1);
        int jpaPid = transaction().execute(status -> parcels().backendPid());
        assertThat(killed).doesNotContain(jpaPid);

        assertThat(dataSource.stats().staleDetected() - staleBefore)
                .as("idle connections found dead on borrow, then replaced: %s", dataSource.stats()).isGreaterThanOrEqualTo(2);
    }

    @Test
    @Order(5)
    void aBackendTerminatedInsideAJooqTransactionFailsItAndThePipelineRunsItAgain() throws Exception {
        DSLContext dsl = jooq();
        // without the pipeline: the transaction fails, the connection is evicted, the next read works
        assertThatThrownBy(() -> transaction().execute(status -> {
            killMyBackend(dsl.select(field("pg_backend_pid()", Integer.class)).fetchSingle().value1());
            return dsl.fetchCount(table("jooq_parcels"));
        })).isInstanceOf(RuntimeException.class).satisfies(e -> assertThat(causes(e)).anyMatch(SQLException.class::isInstance));
        assertThat(dsl.fetchCount(table("jooq_parcels"))).isEqualTo(2);

        JooqJpaApplication.Retried retried = context.getBean(JooqJpaApplication.Retried.class);
        AtomicInteger attempts = new AtomicInteger();
        int count = retried.inTransaction(() -> {
            int pid = dsl.select(field("pg_backend_pid()", Integer.class)).fetchSingle().value1();
            if (attempts.incrementAndGet() == 1) {
                killMyBackend(pid);
            }
            dsl.insertInto(table("jooq_parcels"), field("label")).values("tea").execute();
            return dsl.fetchCount(table("jooq_parcels"));
        });
        assertThat(attempts).as("the first attempt failed on its dead connection").hasValue(2);
        assertThat(count).as("the failed attempt's insert never happened").isEqualTo(3);
    }

    @Test
    @Order(6)
    void aBackendTerminatedInsideAJpaTransactionFailsItAndThePipelineRunsItAgain() throws Exception {
        ParcelRepository parcels = parcels();
        assertThatThrownBy(() -> transaction().execute(status -> {
            killMyBackend(parcels.backendPid());
            return parcels.findByLabel("book");
        })).isInstanceOf(DataAccessException.class);
        assertThat(parcels.findByLabel("book")).hasSize(1);

        JooqJpaApplication.Retried retried = context.getBean(JooqJpaApplication.Retried.class);
        AtomicInteger attempts = new AtomicInteger();
        long count = retried.inTransaction(() -> {
            int pid = parcels.backendPid();
            if (attempts.incrementAndGet() == 1) {
                killMyBackend(pid);
            }
            parcels.save(new Parcel("book"));
            return parcels.findByLabel("book").size();
        });
        assertThat(attempts).as("the first attempt failed on its dead connection").hasValue(2);
        assertThat(count).as("the failed attempt's insert never happened").isEqualTo(2);
    }

    @Test
    @Order(7)
    void closingTheContextLeavesNoBackendAndNoPoolThread() throws Exception {
        Pool<?> pool = strataDataSource().pool();
        assertThat(jooq().fetchCount(table("jooq_parcels"))).isEqualTo(3);
        assertThat(parcels().findByLabel("book")).hasSize(2);
        assertThat(PG.backends(APP)).as("the connections just used stay open, idle").isPositive();
        assertThat(tableExists("jpa_parcels")).isTrue();

        context.close();
        context = null;

        assertThat(tableExists("jpa_parcels")).as("Hibernate's create-drop reached the database at close").isFalse();
        int backends = PG.backends(APP);
        for (long end = System.currentTimeMillis() + WAIT_MILLIS; backends > 0 && System.currentTimeMillis() < end; ) {
            Thread.sleep(50); // a closed connection's backend exits asynchronously
            backends = PG.backends(APP);
        }
        assertThat(backends).as("PostgreSQL backends left by the application").isZero();
        assertThat(pool.housekeeperAlive()).isFalse();
        assertThat(threadNames()).noneMatch(name -> name.startsWith("strata-pool-datasource") || name.startsWith("HikariPool"));
    }

    // ------------------------------------------------------------ helpers

    private static DataSource unwrapSpringProxies(DataSource dataSource) {
        DataSource d = dataSource;
        while (d instanceof DelegatingDataSource delegating) {
            d = delegating.getTargetDataSource();
        }
        return d;
    }

    /**
     * Terminates the application's backends ({@code pid} null: all of them) from a plain
     * connection, and waits until they are gone. The pids are chosen first and terminated one by
     * one: a single {@code WHERE ... AND pg_terminate_backend(pid)} may run the function before
     * the other conditions, on every row, this connection's own backend included.
     */
    private static List<Integer> terminateBackends(Integer pid) throws Exception {
        List<Integer> chosen = new ArrayList<>();
        try (Connection admin = PG.adminConnection()) {
            try (PreparedStatement st = admin.prepareStatement("SELECT pid FROM pg_stat_activity WHERE application_name = ?")) {
                st.setString(1, APP);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        if (pid == null || pid == rs.getInt(1)) {
                            chosen.add(rs.getInt(1));
                        }
                    }
                }
            }
            try (PreparedStatement kill = admin.prepareStatement("SELECT pg_terminate_backend(?)")) {
                for (int p : chosen) {
                    kill.setInt(1, p);
                    try (ResultSet rs = kill.executeQuery()) {
                        rs.next();
                        assertThat(rs.getBoolean(1)).as("terminated backend %s", p).isTrue();
                    }
                }
            }
        }
        for (int p : chosen) {
            awaitGone(p);
        }
        return chosen;
    }

    private static void killMyBackend(int pid) {
        try {
            assertThat(terminateBackends(pid)).containsExactly(pid);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void awaitGone(int pid) throws SQLException, InterruptedException {
        long end = System.currentTimeMillis() + WAIT_MILLIS;
        try (Connection admin = PG.adminConnection();
             PreparedStatement st = admin.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE pid = ?")) {
            st.setInt(1, pid);
            while (true) {
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) == 0) {
                        return;
                    }
                }
                assertThat(System.currentTimeMillis()).as("backend %s still there", pid).isLessThan(end);
                Thread.sleep(20);
            }
        }
    }

    private static boolean tableExists(String name) throws SQLException {
        try (Connection admin = PG.adminConnection();
             PreparedStatement st = admin.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            st.setString(1, name);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private static List<Throwable> causes(Throwable e) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = e; t != null && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
        }
        return chain;
    }

    /** The names of every thread, virtual ones included, from the JDK's own thread dump. */
    private static List<String> threadNames() throws IOException {
        Path dir = Files.createTempDirectory("strata-threads");
        Path file = dir.resolve("threads.txt");
        try {
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .dumpThreads(file.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.TEXT_PLAIN);
            // a thread's header line: #36 "strata-pool-datasource-housekeeper" virtual TIMED_WAITING ...
            Matcher header = Pattern.compile("(?m)^#\\d+ \"([^\"]*)\"").matcher(Files.readString(file));
            List<String> names = new ArrayList<>();
            while (header.find()) {
                names.add(header.group(1));
            }
            return names;
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }
}
