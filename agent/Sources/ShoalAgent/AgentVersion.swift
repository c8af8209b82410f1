import ShoalCore

/// The agent's version, reported in facts and by `agent version`: the build's (ShoalVersion).
public enum AgentVersion {
    public static let current = ShoalVersion.current
}
