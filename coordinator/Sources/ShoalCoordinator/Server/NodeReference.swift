import Foundation
import ShoalCore

/// A node named on a command line: its id, or the hostname it reported. Hostnames are not
/// unique (and a node chooses its own), so a hostname that two candidate nodes share is
/// refused with their ids rather than guessed.
enum NodeReference {
    /// The node id `text` names among `candidates` (node ids).
    static func resolve(_ text: String, among candidates: Set<String>, store: any FleetStore) async throws -> String {
        if candidates.contains(text) { return text }
        let matches = try await store.nodes().filter { candidates.contains($0.id) && $0.hostname == text }
        if matches.count > 1 {
            let ids = matches.map(\.id).sorted().joined(separator: ", ")
            throw ShoalError(.invalidArgument, "hostname '\(text)' is shared by \(matches.count) nodes (\(ids)); name the node by its id")
        }
        return matches.first?.id ?? text
    }
}
