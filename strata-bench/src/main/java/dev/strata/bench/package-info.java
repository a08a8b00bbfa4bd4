/** JMH benchmarks of Strata against its anchors; run on demand, see BENCHMARKS.md. */
package dev.strata.bench;
