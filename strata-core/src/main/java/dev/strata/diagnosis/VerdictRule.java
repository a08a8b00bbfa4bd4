package dev.strata.diagnosis;

import java.util.List;

/**
 * The rules of one layer (or one finding) of the runtime diagnosis. A rule reads the
 * {@link Evidence} of one {@link Diagnoser#diagnose()} and adds what it finds to {@code out},
 * in any order, each verdict naming every id it may explain: {@link VerdictOrder} orders them and
 * keeps the explained ids that are present. A rule holds no state and changes nothing it reads;
 * {@code since} carries over between diagnoses in {@link VerdictHistory}, not in the rules.
 */
interface VerdictRule {

    void evaluate(Evidence in, List<Verdict> out);

    /** {@code 850 ms} or {@code 45.0 s} for a summary; {@code an unknown time} when negative. */
    static String seconds(long millis) {
        if (millis < 0) {
            return "an unknown time";
        }
        return millis < 1000 ? millis + " ms" : String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
