import Foundation
import NIOCore

extension AgentRuntime {
    /// Sizes NIO's shared event loop group (HTTPS to the coordinator, the Docker socket, TCP
    /// probes) to one thread. An agent has two or three connections at a time, mostly idle:
    /// one loop carries them, where NIO's default of one loop per core costs a thread, its
    /// stack and its epoll set per core on every node. `NIO_SINGLETON_GROUP_LOOP_COUNT` in the
    /// environment still wins.
    ///
    /// Call it first in `agent run`, before anything touches NIO: NIO stops the process if
    /// the size changes after the group was made, or twice.
    public static func useOneEventLoop() {
        guard ProcessInfo.processInfo.environment["NIO_SINGLETON_GROUP_LOOP_COUNT"] == nil else { return }
        NIOSingletons.groupLoopCountSuggestion = 1
    }
}
