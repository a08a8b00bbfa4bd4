/**
 * Helpers shared by Strata's own packages and modules: argument checks ({@code Require}), the
 * one duration reader and writer ({@code Durations}), the one JSON writer ({@code Json}), and the
 * hand-off by which a resilience timeout cancels the JDBC statement of an attempt it abandons
 * ({@code AttemptCancellation}). Not API: the module exports this package only to the Strata
 * modules that use it (a qualified export in {@code module-info.java}), and anything here may
 * change in any release. It imports no other Strata package, so every layer may use it.
 */
package dev.strata.internal;
