package dev.strata.application;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** The one helper that keeps the user-info of a URI (a Redis or JDBC password) out of every printed text. */
class SecretMaskUserInfoTest {

    @Test
    void theUserInfoOfEveryUriInATextIsMasked() {
        assertThat(Secret.maskUserInfo("redis.uri: redis://:pw@cache:6379/0 cannot be reached"))
                .isEqualTo("redis.uri: redis://******@cache:6379/0 cannot be reached");
        assertThat(Secret.maskUserInfo("jdbc:postgresql://app:hunter2@db:5432/shop and rediss://u:p@x"))
                .isEqualTo("jdbc:postgresql://******@db:5432/shop and rediss://******@x");
        assertThat(Secret.maskUserInfo(URI.create("redis://user:pw@127.0.0.1:6379"))).isEqualTo("redis://******@127.0.0.1:6379");
    }

    @Test
    void aTextWithoutUserInfoIsUnchanged() {
        String plain = "redis://127.0.0.1:6379 and mail a@b.c and http://host/path@x";
        assertThat(Secret.maskUserInfo(plain)).isEqualTo(plain);
        assertThat(Secret.maskUserInfo((String) null)).isNull();
    }
}
