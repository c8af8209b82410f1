import Foundation
import ShoalAgent
import ShoalCore

/// One kind of GPU machine a simulated node can be, read from captured nvidia-smi output with
/// the agent's own parser, so simulated GPU facts and metrics are exactly what a real agent on
/// that machine would send.
struct GPUProfile: Sendable {
    var name: String
    var info: NodeFacts.GPUInfo
    var metrics: [NodeMetrics.GPU]

    /// The captures the agent tests use, beside this source tree.
    static var defaultFixtures: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/ShoalAgentTests/Fixtures/nvidia-smi").path
    }

    /// Every machine in `folder` with a `query-gpu.csv` (with header) and a `version.txt`, by
    /// name; machines with a broken driver or lost GPUs have no version capture and are left
    /// out, so simulated GPU nodes are healthy ones.
    static func load(from folder: String) throws -> [GPUProfile] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var profiles: [GPUProfile] = []
        for name in names.sorted() {
            let query = folder + "/" + name + "/query-gpu.csv"
            let version = folder + "/" + name + "/version.txt"
            guard let csv = try? String(contentsOfFile: query, encoding: .utf8), let versionText = try? String(contentsOfFile: version, encoding: .utf8) else {
                continue
            }
            let rows = NvidiaSMIParser.queryRows(withHeader: csv)
            guard !rows.isEmpty else { continue }
            let devices = rows.enumerated().map { NvidiaQueryFields.device($0.element, position: $0.offset) }
            let info = NodeFacts.GPUInfo(
                driverLoaded: true, driverVersion: NvidiaSMIParser.driverVersion(versionText) ?? rows[0]["driver_version"],
                cudaVersion: NvidiaSMIParser.cudaVersion(versionText), devices: devices
            )
            profiles.append(GPUProfile(name: name, info: info, metrics: rows.enumerated().map { NvidiaQueryFields.metrics($0.element, position: $0.offset) }))
        }
        guard !profiles.isEmpty else {
            throw ShoalError(.invalidArgument, "no nvidia-smi captures (<machine>/query-gpu.csv with version.txt) in \(folder); pass --gpu-fixtures or --gpu-share 0")
        }
        return profiles
    }
}
