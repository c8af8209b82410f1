import Foundation

/// Whether the NVIDIA Container Toolkit is installed: `nvidia-ctk` or
/// `nvidia-container-runtime` on the search path, or its config file.
public struct NvidiaContainerToolkit: Sendable {
    public static let executables = ["nvidia-ctk", "nvidia-container-runtime"]
    public static let defaultConfigPath = "/etc/nvidia-container-runtime/config.toml"

    public var searchPath: [String]
    public var configPath: String

    public init(searchPath: [String]? = nil, configPath: String = Self.defaultConfigPath) {
        self.searchPath = searchPath ?? NvidiaDetector.defaultSearchPath()
        self.configPath = configPath
    }

    /// What shows the toolkit is there (`nvidia-ctk at /usr/bin/nvidia-ctk`), or nil.
    public func find() -> String? {
        for name in Self.executables {
            if let path = NvidiaDetector.findExecutable(name, searchPath: searchPath) { return "\(name) at \(path)" }
        }
        return FileManager.default.fileExists(atPath: configPath) ? "config \(configPath)" : nil
    }
}
