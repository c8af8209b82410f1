/// The version of this Shoal build, one for the agent and the coordinator: the agent reports
/// it in facts and `agent version`, the coordinator in `shoal_build_info`, and
/// packaging/build-debs.sh reads the package version from this line.
public enum ShoalVersion {
    public static let current = "0.1.0"
}
