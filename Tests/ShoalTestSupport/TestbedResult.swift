import Foundation

/// What a command run by the testbed (on the host or inside a node) produced.
public struct TestbedResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public var succeeded: Bool { status == 0 }
}
