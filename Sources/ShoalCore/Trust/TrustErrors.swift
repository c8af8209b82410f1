extension ShoalError.Code {
    // Trust documents (docs/trust.md)
    public static let trustMalformed: Self = "trust.malformed"
    public static let trustBadSignature: Self = "trust.bad_signature"
    public static let trustRollback: Self = "trust.rollback"
    public static let trustExpired: Self = "trust.expired"
    public static let trustWrongFleet: Self = "trust.wrong_fleet"
    public static let trustMissing: Self = "trust.missing"
    public static let trustRootMismatch: Self = "trust.root_mismatch"
    // The operator layer of a bundle
    public static let operatorUntrusted: Self = "bundle.operator_untrusted"
    public static let outOfScope: Self = "bundle.out_of_scope"
    public static let notTargeted: Self = "bundle.not_targeted"
    public static let taskReplayed: Self = "bundle.task_replayed"
    public static let taskExpired: Self = "bundle.task_expired"
    // Signed label statements
    public static let labelsRefused: Self = "labels.refused"
}
