/// The agent's files on a node, the same for `enroll` over SSH and for cloud-init.
public enum AgentInstallLayout {
    public static let binaryPath = "/usr/local/bin/shoal-agent"
    public static let configDirectory = "/etc/shoal"
    public static let configPath = "/etc/shoal/agent.yaml"
    public static let unitPath = "/etc/systemd/system/shoal-agent.service"
    public static let stateDirectory = "/var/lib/shoal-agent"
    public static let unitName = "shoal-agent.service"

    /// A copy of agent/assets/shoal-agent.service (the hardened unit), so the CLI binary carries
    /// it; the enrollment system tests fail if the two drift apart.
    public static let unitText = """
        [Unit]
        Description=Shoal node agent (pulls signed task bundles from the coordinator)
        Documentation=file:///usr/share/doc/shoal/operations.md
        After=network-online.target time-sync.target
        Wants=network-online.target

        [Service]
        Type=simple
        # Root on purpose, and no ProtectSystem/ProtectHome/ProtectKernelModules/ProtectKernelTunables,
        # no capability or namespace limits that a step needs: bundles install packages, write /etc,
        # create users' homes and keys, load modules, set sysctls, run ufw and docker and manage
        # units. What is restricted below is what no step kind needs; docs/security.md lists every
        # remaining `systemd-analyze security` item and why it stays. A test keeps the exposure from
        # rising (9.0 today).
        ExecStart=/usr/local/bin/shoal-agent run --config /etc/shoal/agent.yaml
        Restart=always
        RestartSec=5
        # SIGTERM to the agent only; it stops a running step's process group itself and reports
        # the bundle interrupted. Anything left after the timeout is killed with the cgroup.
        KillMode=mixed
        TimeoutStopSec=30
        StateDirectory=shoal-agent
        StateDirectoryMode=0700
        UMask=0022
        PrivateTmp=yes
        RestrictSUIDSGID=no
        LockPersonality=yes
        RestrictRealtime=yes
        SystemCallArchitectures=native
        SystemCallFilter=~@obsolete @cpu-emulation
        SystemCallErrorNumber=EPERM
        # Netlink for ip/ufw/udevadm, packet for DHCP and capture tools, AF_ALG for cryptsetup.
        RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET AF_ALG
        CapabilityBoundingSet=~CAP_BLOCK_SUSPEND CAP_WAKE_ALARM CAP_SYS_PACCT

        [Install]
        WantedBy=multi-user.target

        """
}
