import Foundation
import ShoalCore

/// The agent executable to install: its bytes' SHA-256 (to compare with what a node has)
/// and the CPU it is built for, read from the ELF header.
public struct AgentBinary: Sendable {
    public let path: String
    public let sha256: String
    /// In `uname -m` spelling: x86_64, aarch64, ...
    public let architecture: String

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ShoalError(.bootstrapAgentBinary, "cannot read the agent binary \(path): pass --agent-binary with the path of a built shoal-agent")
        }
        self.path = path
        self.sha256 = data.sha256Hex
        self.architecture = try Self.elfArchitecture(data, path: path)
    }

    /// e_machine is the 16-bit field at offset 18, in the byte order EI_DATA (offset 5) names.
    static func elfArchitecture(_ data: Data, path: String) throws -> String {
        let bytes = [UInt8](data.prefix(20))
        guard bytes.count == 20, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else {
            throw ShoalError(.bootstrapAgentBinary, "\(path) is not an ELF executable: pass the Linux agent binary with --agent-binary")
        }
        let machine = bytes[5] == 2 ? UInt16(bytes[18]) << 8 | UInt16(bytes[19]) : UInt16(bytes[19]) << 8 | UInt16(bytes[18])
        switch machine {
        case 62: return "x86_64"
        case 183: return "aarch64"
        case 243: return "riscv64"
        case 21: return "ppc64le"
        case 22: return "s390x"
        case 40: return "armv7l"
        default: return "elf-machine-\(machine)"
        }
    }

    /// Whether a node reporting `uname -m` = `machine` can run this binary.
    public func runs(on machine: String) -> Bool {
        machine == architecture || (architecture == "aarch64" && machine == "arm64")
    }
}
