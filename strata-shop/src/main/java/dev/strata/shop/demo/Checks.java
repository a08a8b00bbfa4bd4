package dev.strata.shop.demo;

import dev.strata.shop.ShopCalls;
import dev.strata.shop.demo.Demo.DemoResult;
import dev.strata.shop.demo.Demo.PhaseResult;
import dev.strata.shop.demo.Demo.VariantResult;
import dev.strata.fault.FaultKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The outcome issue 5 expects, checked against a run's numbers and printed at the end, so a reader
 * sees at once whether Strata contained each outage. A check whose phases were not run is left out.
 */
final class Checks {

    private Checks() {
    }

    /** One expectation and whether the run met it. */
    record Check(String name, boolean passed, String detail) {
    }

    static List<Check> evaluate(DemoResult result) {
        List<Check> checks = new ArrayList<>();
        Optional<VariantResult> steadyStrata = variant(result, "steady", "strata");
        Optional<VariantResult> slowStrata = variant(result, "slow-payments", "strata");
        Optional<VariantResult> slowNaive = variant(result, "slow-payments", "naive");
        if (slowStrata.isPresent()) {
            EndpointStats.Summary catalog = slowStrata.get().endpoints().get(Demo.CATALOG);
            checks.add(new Check("slow-payments: strata catalog success >= 99%", catalog.successRate() >= 0.99,
                    pct(catalog.successRate())));
            steadyStrata.ifPresent(steady -> {
                long steadyP99 = steady.endpoints().get(Demo.CATALOG).p99Nanos();
                checks.add(new Check("slow-payments: strata catalog p99 within 2x its steady p99",
                        catalog.p99Nanos() <= 2 * steadyP99,
                        Report.ms(catalog.p99Nanos()) + " vs steady " + Report.ms(steadyP99)));
            });
            EndpointStats.Summary checkout = slowStrata.get().endpoints().get(Demo.CHECKOUT);
            long budget = result.settings().checkoutBudget().toNanos();
            checks.add(new Check("slow-payments: strata checkout answers within its deadline with 'pending' fallbacks",
                    checkout.p99Nanos() <= budget && checkout.fallback() > 0 && checkout.successRate() >= 0.99,
                    "p99 " + Report.ms(checkout.p99Nanos()) + " (max " + Report.ms(checkout.maxNanos()) + ") vs deadline "
                            + Report.ms(budget) + ", fallbacks " + pct(checkout.fallbackRate()) + ", errors "
                            + (checkout.errors() + checkout.dropped())));
            slowNaive.ifPresent(naive -> {
                EndpointStats.Summary naiveCatalog = naive.endpoints().get(Demo.CATALOG);
                boolean worse = naiveCatalog.successRate() < catalog.successRate() - 0.05
                        || naiveCatalog.p99Nanos() > 2 * catalog.p99Nanos();
                checks.add(new Check("slow-payments: naive catalog clearly worse than strata's", worse,
                        "naive success " + pct(naiveCatalog.successRate()) + " p99 " + Report.ms(naiveCatalog.p99Nanos())
                                + " vs strata " + pct(catalog.successRate()) + " p99 " + Report.ms(catalog.p99Nanos())));
            });
        }
        variant(result, "quiet-then-burst", "strata").ifPresent(strata -> {
            EndpointStats.Summary catalog = strata.endpoints().get(Demo.CATALOG);
            checks.add(new Check("quiet-then-burst: strata 0 failed catalog queries",
                    catalog.errors() + catalog.dropped() == 0, catalog.errors() + catalog.dropped() + " failed"));
        });
        variant(result, "quiet-then-burst", "naive").ifPresent(naive -> {
            long stale = staleFailures(naive);
            checks.add(new Check("quiet-then-burst: naive fails with NETWORK/stale-connection", stale > 0,
                    stale + " stale-connection failures"));
        });
        Optional<VariantResult> flapStrata = variant(result, "flapping-dependency", "strata");
        Optional<VariantResult> flapNaive = variant(result, "flapping-dependency", "naive");
        if (flapStrata.isPresent() && steadyStrata.isPresent()) {
            double steady = steadyStrata.get().load().get(ShopCalls.RECOMMENDATIONS).perSecond();
            long peak = flapStrata.get().load().get(ShopCalls.RECOMMENDATIONS).peakPerSecond();
            checks.add(new Check("flapping-dependency: strata peak load on recommendations <= 1.5x its steady load",
                    peak <= 1.5 * steady, String.format(Locale.ROOT, "peak %d/s vs steady %.1f/s", peak, steady)));
            flapNaive.ifPresent(naive -> {
                long naivePeak = naive.load().get(ShopCalls.RECOMMENDATIONS).peakPerSecond();
                checks.add(new Check("flapping-dependency: naive peak load higher than strata's", naivePeak > peak,
                        "naive peak " + naivePeak + "/s vs strata " + peak + "/s"));
            });
        }
        return checks;
    }

    static long staleFailures(VariantResult variant) {
        return variant.endpoints().values().stream()
                .mapToLong(s -> s.faultsByKind().getOrDefault(FaultKind.STALE_CONNECTION.qualifiedName(), 0L))
                .sum();
    }

    private static Optional<VariantResult> variant(DemoResult result, String phase, String variant) {
        return result.phases().stream().filter(p -> p.phase().name().equals(phase)).findFirst()
                .map(PhaseResult::variants).map(v -> v.get(variant));
    }

    private static String pct(double rate) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * rate);
    }
}
