/// The agent's version, reported in facts and by `agent version`.
public enum AgentVersion {
    public static let current = "0.1.0"
}
