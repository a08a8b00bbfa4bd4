package dev.strata.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, API: a public 16-component record broke every caller of its constructor with each new
 * setting. The builder is the only way in.
 */
class PoolConfigBuilderOnlyTest {

    @Test
    void poolConfigHasNoPublicConstructorAndIsNotARecord() {
        assertThat(PoolConfig.class.isRecord()).isFalse();
        assertThat(Arrays.stream(PoolConfig.class.getDeclaredConstructors()).filter(c -> !Modifier.isPrivate(c.getModifiers())))
                .as("constructors callers could depend on").isEmpty();
    }

    @Test
    void aConfigSurvivesARoundTripThroughItsBuilder() {
        PoolConfig config = PoolConfig.builder("orders-db").maxSize(7).minIdle(2).acquisitionTimeout(Duration.ofMillis(250))
                .validateIdleLongerThan(Duration.ofSeconds(1)).lifetimeJitter(0.1).creationConcurrency(3).build();
        PoolConfig copy = config.toBuilder().build();
        assertThat(copy).isEqualTo(config).hasSameHashCodeAs(config);
        assertThat(copy.maxSize()).isEqualTo(7);
        assertThat(copy.toString()).contains("name=orders-db", "maxSize=7");
        assertThat(config.toBuilder().maxSize(8).build()).isNotEqualTo(config);
    }

    @Test
    void anInvalidSettingNamesTheFieldValueAndRange() {
        assertThatThrownBy(() -> PoolConfig.builder("orders-db").maxSize(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxSize").hasMessageContaining("0");
        assertThatThrownBy(() -> PoolConfig.builder("orders-db").maxSize(2).minIdle(3).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minIdle");
    }
}
