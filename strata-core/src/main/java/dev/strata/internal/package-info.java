/**
 * Helpers shared by Strata's own packages (validation, duration formatting). Not API: the
 * module does not export this package, and anything here may change in any release.
 */
package dev.strata.internal;
