package dev.strata.config;

import dev.strata.application.InvalidConfigurationException;
import java.util.List;

/**
 * The configuration could not be loaded; nothing was started. Lists every problem found, each
 * with its file, line and column, key, value and what is allowed.
 */
public final class ConfigException extends InvalidConfigurationException {

    private static final long serialVersionUID = 1L;

    private final transient List<ConfigProblem> located;

    /**
     * The exception for {@code problems}, rendered one per line in the given order. Public so that a
     * front end that feeds the loader from its own sources (the Spring Boot starter maps its
     * generated lines back to {@code application.yml}) reports with the same type and wording.
     */
    public ConfigException(List<ConfigProblem> problems) {
        super(problems.stream().map(p -> new Problem(p.key(), p.message())).toList(), render(problems));
        this.located = List.copyOf(problems);
    }

    /** The problems with their locations, in file order. */
    public List<ConfigProblem> locatedProblems() {
        return located;
    }

    private static String render(List<ConfigProblem> problems) {
        StringBuilder s = new StringBuilder("invalid Strata configuration, ").append(problems.size())
                .append(problems.size() == 1 ? " problem" : " problems").append(" (nothing was started):");
        for (ConfigProblem p : problems) {
            s.append("\n  ").append(p);
        }
        return s.toString();
    }
}
