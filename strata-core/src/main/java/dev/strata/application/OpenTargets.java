package dev.strata.application;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The process-wide registry of open pools, by {@link PoolTarget}, and of open runtimes: a second pool
 * to a target that already has an open pool, made by any runtime in this JVM, is the L4 finding
 * {@code registry.duplicate-pool} (refused with {@link DuplicatePoolException} in strict mode), and a
 * second open runtime is {@code registry.second-runtime}.
 *
 * <p>One instance per runtime holds that runtime's claims, so that closing it frees exactly the
 * targets it claimed. Thread-safe.
 */
final class OpenTargets {

    /** Open pools of every runtime in the process, by target. */
    private static final ConcurrentHashMap<PoolTarget, Claim> OPEN_TARGETS = new ConcurrentHashMap<>();
    private static final Set<Strata> OPEN_RUNTIMES = ConcurrentHashMap.newKeySet();
    /** The classes a creation site passes through inside the runtime before it reaches the caller's code. */
    private static final Set<String> RUNTIME_CLASSES = Set.of(Strata.class.getName(), Dependency.class.getName(),
            Lifecycle.class.getName(), DependencyAssembler.class.getName());

    /** One open pool to a target: whose it is, and where it was asked for. */
    record Claim(Strata runtime, String dependency, StackTraceElement[] site) {
    }

    private final Strata runtime;
    private final Map<PoolTarget, Claim> myClaims = new ConcurrentHashMap<>();
    private final List<Finding> findings = new CopyOnWriteArrayList<>();
    /** For each finding, whether it is still true now (the first pool, the other runtime still open). */
    private final Map<Finding, java.util.function.BooleanSupplier> stillTrue = new ConcurrentHashMap<>();

    OpenTargets(Strata runtime) {
        this.runtime = runtime;
    }

    /** The findings reported so far, in order (a read-only view). */
    List<Finding> findings() {
        return Collections.unmodifiableList(findings);
    }

    /**
     * The findings that are still true: a duplicate pool while the first pool to its target is
     * still open, a second runtime while another is still open.
     */
    List<Finding> currentFindings() {
        return findings.stream().filter(f -> stillTrue.getOrDefault(f, () -> true).getAsBoolean()).toList();
    }

    private void report(Finding finding, java.util.function.BooleanSupplier whileTrue) {
        stillTrue.put(finding, whileTrue);
        findings.add(finding);
        runtime.events().publish(finding);
    }

    /** Counts the runtime as open; reports the finding when another runtime already is. */
    void openRuntime() {
        if (!OPEN_RUNTIMES.isEmpty()) {
            Strata other = OPEN_RUNTIMES.iterator().next();
            report(new Finding(runtime.clock().currentTimeMillis(), Strata.RUNTIME, "registry.second-runtime",
                    "a second Strata runtime was built while another is open (" + other.dependencies().keySet()
                            + "); one runtime per process shares pools and breakers, two split them", List.of()),
                    () -> OPEN_RUNTIMES.stream().anyMatch(r -> r != runtime));
        }
        OPEN_RUNTIMES.add(runtime);
    }

    /** The runtime is closed: it no longer counts as open. */
    void closeRuntime() {
        OPEN_RUNTIMES.remove(runtime);
    }

    /**
     * Claims {@code target} for a new pool of {@code dependency}, asked for at {@code site}. When the
     * target already has an open pool, publishes the duplicate-pool finding with both sites and, in
     * strict mode, refuses.
     *
     * @return the claim made, for {@link #release}, or null when another pool already holds the target
     * @throws DuplicatePoolException in strict mode when the target already has an open pool
     */
    Claim claim(String dependency, PoolTarget target, StackTraceElement[] site) {
        Claim mine = new Claim(runtime, dependency, site);
        Claim existing = OPEN_TARGETS.putIfAbsent(target, mine);
        if (existing == null) {
            myClaims.put(target, mine);
            return mine;
        }
        String where = existing.runtime == runtime ? "this runtime" : "another Strata runtime";
        Finding finding = new Finding(runtime.clock().currentTimeMillis(), dependency, "registry.duplicate-pool",
                "second pool to " + target + ": '" + dependency + "' at " + firstUserFrame(site) + " while '"
                        + existing.dependency + "' (" + where + ") already has one, created at "
                        + firstUserFrame(existing.site) + "; each pool holds its own connections: share one dependency",
                List.of(Arrays.asList(existing.site), Arrays.asList(site)));
        report(finding, () -> OPEN_TARGETS.get(target) == existing);
        if (runtime.strict()) {
            throw new DuplicatePoolException(finding, new DuplicatePoolException.CreationSite(
                    "first pool to " + target + " created here, for '" + existing.dependency + "'", existing.site));
        }
        return null;
    }

    /** Frees {@code target} when {@code claim} (from {@link #claim}; null is ignored) still holds it. */
    void release(PoolTarget target, Claim claim) {
        if (claim != null) {
            OPEN_TARGETS.remove(target, claim);
            myClaims.remove(target, claim);
        }
    }

    /** Frees every target this runtime claimed: its pools are closed. */
    void releaseAll() {
        myClaims.forEach((target, claim) -> OPEN_TARGETS.remove(target, claim));
        myClaims.clear();
    }

    /** The first frame outside Strata itself: where the user's code asked for the pool. */
    static String firstUserFrame(StackTraceElement[] stack) {
        for (StackTraceElement frame : stack) {
            String cls = frame.getClassName();
            String outer = cls.indexOf('$') < 0 ? cls : cls.substring(0, cls.indexOf('$'));
            boolean runtime = RUNTIME_CLASSES.contains(outer) || cls.startsWith("dev.strata.config.");
            if (!runtime && !cls.startsWith("java.") && !cls.startsWith("jdk.")) {
                return frame.toString();
            }
        }
        return stack.length == 0 ? "unknown" : stack[stack.length - 1].toString();
    }
}
