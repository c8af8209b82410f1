/// The step kinds this release knows, shared so the coordinator can refuse a task naming an
/// unknown kind before any node sees it. The agent's `StepRegistry` implements exactly these.
public enum StepKinds {
    public static let known: Set<String> = [
        "command", "file", "directory", "template", "apt", "systemd", "user", "group", "sysctl", "ufw",
        "ssh_hardening", "docker_engine", "docker_container", "nvidia", "health_check",
    ]
}
