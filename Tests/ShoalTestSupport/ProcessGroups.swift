import Foundation

/// Members of a process group that are still running (not zombies). `kill(-pgid, 0)` is no
/// use in containers whose PID 1 does not reap orphans: dead members linger as zombies there.
public func liveMembers(ofProcessGroup pgid: pid_t) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> pid_t? in
        guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, fields[0] != "Z", fields[0] != "X", pid_t(fields[2]) == pgid else { return nil }
        return pid
    }
}

/// Waits up to `timeout` for a process group to have no running member; returns the
/// members still running then (empty when the group is gone). Kills leftovers so a failing
/// test does not leave processes behind.
public func survivors(ofProcessGroup pgid: pid_t, within timeout: Duration = .seconds(5)) async -> [pid_t] {
    let deadline = ContinuousClock.now + timeout
    var running = liveMembers(ofProcessGroup: pgid)
    while !running.isEmpty && ContinuousClock.now < deadline {
        try? await Task.sleep(for: .milliseconds(100))
        running = liveMembers(ofProcessGroup: pgid)
    }
    if !running.isEmpty { kill(-pgid, SIGKILL) }
    return running
}
