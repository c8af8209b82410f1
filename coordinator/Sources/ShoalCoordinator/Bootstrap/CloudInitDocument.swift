import ShoalCore

/// cloud-init user-data that makes a machine register itself: the agent config (CA pinned,
/// join token) and the hardened unit via `write_files`, then `runcmd` starts the agent. The
/// image must already carry the agent at /usr/local/bin/shoal-agent.
public enum CloudInitDocument {
    public static func userData(config: AgentConfig) throws -> String {
        let configText = try config.yamlText()
        return """
            #cloud-config
            # Shoal self-registration: the agent enrolls on first start with the join token below.
            # Needs \(AgentInstallLayout.binaryPath) in the image. Keep this user-data secret
            # until the token is used up or expired: it is a credential.
            write_files:
              - path: \(AgentInstallLayout.configPath)
                owner: root:root
                permissions: '0600'
                content: |
            \(indent(configText, by: 6))
              - path: \(AgentInstallLayout.unitPath)
                owner: root:root
                permissions: '0644'
                content: |
            \(indent(AgentInstallLayout.unitText, by: 6))
            runcmd:
              - [systemctl, daemon-reload]
              - [systemctl, enable, --now, \(AgentInstallLayout.unitName)]

            """
    }

    /// Every non-empty line indented, empty lines kept empty (a YAML literal block).
    static func indent(_ text: String, by count: Int) -> String {
        let pad = String(repeating: " ", count: count)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last == "" { lines.removeLast() }
        return lines.map { $0.isEmpty ? "" : pad + $0 }.joined(separator: "\n")
    }
}
