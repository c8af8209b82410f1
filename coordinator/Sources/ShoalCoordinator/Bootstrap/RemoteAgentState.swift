/// What a host already has of the agent, read in one command before anything is written.
struct RemoteAgentState: Sendable {
    var binarySHA256: String
    var unitSHA256: String
    var configExists: Bool
    var configDirectoryExists: Bool
    var stateDirectoryExists: Bool
    var nodeID: String
    var active: String
    var enabled: String

    static let script = """
        b=\(AgentInstallLayout.binaryPath); u=\(AgentInstallLayout.unitPath); s=\(AgentInstallLayout.stateDirectory)
        [ -f "$b" ] && echo "binary=$(sha256sum "$b" | cut -d' ' -f1)"
        [ -f "$u" ] && echo "unit=$(sha256sum "$u" | cut -d' ' -f1)"
        [ -f \(AgentInstallLayout.configPath) ] && echo config=yes
        [ -d \(AgentInstallLayout.configDirectory) ] && echo configdir=yes
        [ -d "$s" ] && echo statedir=yes
        echo "node=$(sed -n 's/.*"node\\(ID\\|_id\\)" *: *"\\([^"]*\\)".*/\\2/p' "$s/identity.json" 2>/dev/null | head -n1)"
        echo "active=$(systemctl is-active \(AgentInstallLayout.unitName) 2>/dev/null)"
        echo "enabled=$(systemctl is-enabled \(AgentInstallLayout.unitName) 2>/dev/null)"
        true
        """

    init(output: String) {
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        binarySHA256 = values["binary"] ?? ""
        unitSHA256 = values["unit"] ?? ""
        configExists = values["config"] == "yes"
        configDirectoryExists = values["configdir"] == "yes"
        stateDirectoryExists = values["statedir"] == "yes"
        // The host says which node it is; it only ever names one in a URL path, so anything but
        // an id's own characters is treated as no identity (the host enrolls afresh).
        let reported = values["node"] ?? ""
        nodeID = reported.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") } ? reported : ""
        active = values["active"] ?? ""
        enabled = values["enabled"] ?? ""
    }
}
