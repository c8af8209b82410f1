import Foundation

/// Names this coordinator among the replicas serving one store, in the leases it holds: its
/// host and the address it listens on. Two live coordinators cannot share both (the second
/// could not bind), and a coordinator restarted after a crash gets its own name back, so it
/// renews the leases its predecessor left at once instead of waiting for them to run out.
public enum ReplicaName {
    public static func make(listen: String) -> String {
        "\(ProcessInfo.processInfo.hostName)/\(listen)"
    }
}
