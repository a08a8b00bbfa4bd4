/**
 * Strata doctor: operator tools that are not part of a running service: PostgreSQL triage and the
 * config audit.
 */
module dev.strata.doctor {
    requires transitive dev.strata.config;   // the audit reads LoadedConfig; config brings core

    exports dev.strata.doctor;

    // The audit's declarations (audit.*) are keys of the config file.
    provides dev.strata.config.ConfigExtension with dev.strata.doctor.AuditDeclarations;
}
