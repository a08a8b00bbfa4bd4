package dev.strata.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.strata.config.ConfigException;
import dev.strata.config.ConfigProblem;
import dev.strata.spring.shop.SpringShopApplication;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** A bad {@code strata.*} key fails startup with Strata's own report: file, line, key, value, did-you-mean. */
class StrataConfigErrorTest {

    @Test
    void badStrataKeysInApplicationYamlFailStartupWithFileLineKeyAndSuggestion() {
        Throwable failure = catchThrowable(() -> new SpringApplicationBuilder(SpringShopApplication.class)
                .web(WebApplicationType.NONE)
                .run("--spring.config.location=classpath:bad-strata.yml"));

        ConfigException config = find(failure);
        assertThat(config).as("cause chain of %s", failure).isNotNull();
        List<ConfigProblem> problems = config.locatedProblems();
        assertThat(problems).extracting(ConfigProblem::toString).containsExactly(
                "classpath:bad-strata.yml:8:18: strata.dependencies.payments.retry.attemps: unknown key, did you mean 'attempts'?",
                problems.get(1).toString());
        ConfigProblem timeout = problems.get(1);
        assertThat(timeout.location().source()).isEqualTo("classpath:bad-strata.yml");
        assertThat(timeout.location().line()).isEqualTo(9);
        assertThat(timeout.key()).isEqualTo("strata.dependencies.payments.timeout");
        assertThat(timeout.message()).contains("'0ms'").contains("1ms");

        FailureAnalysis analysis = new StrataConfigFailureAnalyzer().analyze(failure);
        assertThat(analysis.getDescription()).startsWith("invalid Strata configuration, 2 problems")
                .contains("did you mean 'attempts'");
    }

    private static ConfigException find(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConfigException e) {
                return e;
            }
        }
        return null;
    }
}
