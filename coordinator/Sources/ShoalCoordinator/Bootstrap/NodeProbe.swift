import Foundation

/// What a node says about itself in one SSH round trip, as the login user (none of it needs
/// root): OS, CPU, memory, disk, init, clock, and whether it reaches the coordinator.
struct NodeProbe: Sendable {
    var values: [String: String]
    /// Local time halfway through the round trip, to compare the node's clock against.
    var localMidpoint: Date

    static func script(coordinatorHost: String, coordinatorPort: Int, coordinatorURL: String) -> String {
        let host = ShellQuote.quote(coordinatorHost)
        let url = ShellQuote.quote(coordinatorURL + "/healthz")
        return """
        if [ -r /etc/os-release ]; then . /etc/os-release; fi
        echo "os_id=${ID:-}"; echo "os_version=${VERSION_ID:-}"; echo "os_name=${PRETTY_NAME:-}"
        echo "arch=$(uname -m)"
        echo "cpus=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"
        echo "mem_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
        echo "disk_kib=$(df -Pk / | awk 'NR==2 {print $4}')"
        echo "pid1=$(cat /proc/1/comm 2>/dev/null)"
        if [ -d /run/systemd/system ]; then echo systemd_run=yes; else echo systemd_run=no; fi
        echo "time=$(date +%s)"
        if command -v bash >/dev/null 2>&1 && timeout 5 bash -c 'exec 3<>/dev/tcp/'\(host)'/\(coordinatorPort)' 2>/dev/null; then
          echo reach=tcp
        elif command -v curl >/dev/null 2>&1 && curl -sk --max-time 5 -o /dev/null \(url); then
          echo reach=curl
        else
          echo reach=no
        fi
        """
    }

    init(output: String, localMidpoint: Date) {
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        self.values = values
        self.localMidpoint = localMidpoint
    }

    subscript(_ key: String) -> String { values[key] ?? "" }
}
