package dev.strata.call;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CallContextTest {

    @Test
    void onlyIdempotentWorkOrWorkWithAKeyIsSafeToRepeat() {
        assertThat(CallContext.idempotent("catalog").isSafeToRepeat()).isTrue();
        assertThat(CallContext.nonIdempotent("payments", "order-42").isSafeToRepeat()).isTrue();
        assertThat(CallContext.nonIdempotent("payments", null).isSafeToRepeat()).isFalse();
    }

    @Test
    void blankIdempotencyKeyIsRejectedBecauseItCannotDeduplicate() {
        assertThatThrownBy(() -> CallContext.nonIdempotent("payments", "  "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("idempotencyKey")
                .hasMessageContaining("'  '");
    }

    @Test
    void enteredContextIsCurrentUntilTheScopeCloses() {
        CallContext context = CallContext.idempotent("catalog");
        try (Deadline.Scope ignored = context.enter()) {
            assertThat(CallContext.current()).isSameAs(context);
        }
        assertThat(CallContext.current()).isNull();
    }
}
