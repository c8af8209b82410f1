import Foundation
import ShoalCore

/// Reads and compiles a task file for `task run --file/--profile` and `schedule add`.
public enum TaskFileLoader {
    /// - Parameter protectedPaths: never carried, whatever a `source:` says (the fleet's data directory).
    public static func load(path: String, vars: [String], protectedPaths: [String] = []) throws -> CompiledTask {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ShoalError(.invalidArgument, "cannot read task file \(path)")
        }
        var overrides: [String: JSONValue] = [:]
        for item in vars {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw ShoalError(.invalidArgument, "--var '\(item)' must be name=value")
            }
            overrides[String(item[..<equals])] = .string(String(item[item.index(after: equals)...]))
        }
        let document = try TaskDocument(yaml: text, source: path)
        let folder = (path as NSString).deletingLastPathComponent
        do {
            return try TaskCompiler.compile(
                document, baseDirectory: folder.isEmpty ? "." : folder, overrides: overrides,
                protectedPaths: protectedPaths, fileName: path
            )
        } catch let error as ShoalError where error.code == .taskFileMissing || error.code == .stepUndefinedVariable {
            throw ShoalError(.invalidArgument, error.message)
        }
    }
}
