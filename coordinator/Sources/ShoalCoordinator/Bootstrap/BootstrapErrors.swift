import ShoalCore

extension ShoalError.Code {
    public static let bootstrapLaunch: Self = "bootstrap.launch_failed"
    public static let bootstrapSSH: Self = "bootstrap.ssh_failed"
    public static let bootstrapPreflight: Self = "bootstrap.preflight_failed"
    public static let bootstrapInstall: Self = "bootstrap.install_failed"
    public static let bootstrapNotReady: Self = "bootstrap.not_ready"
    public static let bootstrapAgentBinary: Self = "bootstrap.agent_binary"
    public static let bootstrapTarget: Self = "bootstrap.bad_target"
    public static let bootstrapIdentityMismatch: Self = "bootstrap.identity_mismatch"
    public static let unenrollAddressMismatch: Self = "unenroll.address_mismatch"
}
