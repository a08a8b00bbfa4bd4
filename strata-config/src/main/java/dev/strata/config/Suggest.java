package dev.strata.config;

import java.util.Collection;
import java.util.Locale;

/** Finds the known name a misspelt one probably meant. */
final class Suggest {

    private Suggest() {
    }

    /**
     * The closest candidate within a small edit distance (at most 2, and less than half the
     * word), or the candidate equal to {@code word} once written in snake_case
     * ({@code maxSize} and {@code max-size} mean {@code max_size}); null when none is close.
     */
    static String closest(String word, Collection<String> candidates) {
        String snake = word.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replace('-', '_').toLowerCase(Locale.ROOT);
        for (String c : candidates) {
            if (c.equals(snake)) {
                return c;
            }
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(snake, c);
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        int allowed = Math.min(2, Math.max(1, (word.length() - 1) / 2));
        return bestDistance <= allowed ? best : null;
    }

    /** Damerau-Levenshtein distance (optimal string alignment): a swap of two letters costs one. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
