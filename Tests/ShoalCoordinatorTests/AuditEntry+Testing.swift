import Foundation
import ShoalCore

extension AuditEntry {
    /// An entry for a change a test makes directly at the store.
    static func test(_ action: String = "test.change", actor: String = "tester") -> AuditEntry {
        AuditEntry(by: PeerIdentity(role: .admin, name: actor), action: action, result: "done")
    }
}
