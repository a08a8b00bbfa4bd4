package dev.strata.spring.jpa;

import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** A Spring Data JPA repository, found by Spring Boot's repository auto-configuration. */
public interface ParcelRepository extends JpaRepository<Parcel, Long> {

    List<Parcel> findByLabel(String label);

    /** The PostgreSQL backend serving the current transaction's connection. */
    @Query(value = "SELECT pg_backend_pid()", nativeQuery = true)
    int backendPid();
}
