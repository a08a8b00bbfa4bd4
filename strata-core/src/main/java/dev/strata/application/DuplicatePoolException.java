package dev.strata.application;

/**
 * Refuses, in strict mode, a second pool to a target that already has an open one. Thrown at the
 * second creation site; its cause is a {@link CreationSite} whose stack is the first creation site,
 * so a printed stack trace shows both places.
 */
public final class DuplicatePoolException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient Finding finding;

    DuplicatePoolException(Finding finding, CreationSite first) {
        super(finding.message(), first);
        this.finding = finding;
    }

    /** The finding with both creation sites. */
    public Finding finding() {
        return finding;
    }

    /** A stack captured where something was created; never thrown, used as a cause to show the site. */
    public static final class CreationSite extends Throwable {
        private static final long serialVersionUID = 1L;

        CreationSite(String what, StackTraceElement[] stack) {
            super(what, null, false, true);
            setStackTrace(stack);
        }
    }
}
