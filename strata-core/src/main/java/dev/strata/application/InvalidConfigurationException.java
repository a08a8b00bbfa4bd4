package dev.strata.application;

import java.util.List;

/**
 * Every problem found in a runtime's configuration, reported together so one edit-and-retry
 * fixes them all. Nothing was created.
 */
public class InvalidConfigurationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * One problem.
     *
     * @param key the dotted configuration key it concerns, e.g. {@code dependencies.payments.deadline}
     * @param message the sentence, naming the value and what is allowed
     */
    public record Problem(String key, String message) {
    }

    private final transient List<Problem> problems;

    public InvalidConfigurationException(List<Problem> problems) {
        this(problems, render(problems));
    }

    protected InvalidConfigurationException(List<Problem> problems, String message) {
        super(message);
        this.problems = List.copyOf(problems);
    }

    /** The problems, in the order found. */
    public List<Problem> problems() {
        return problems;
    }

    private static String render(List<Problem> problems) {
        StringBuilder s = new StringBuilder(problems.size() == 1 ? "1 configuration problem:" : problems.size()
                + " configuration problems:");
        for (Problem p : problems) {
            s.append("\n  ").append(p.message().startsWith(p.key()) ? p.message() : p.key() + ": " + p.message());
        }
        return s.toString();
    }
}
