import ShoalClient
import ShoalCore

/// The node id a host reports after install is only its claim: it could carry another
/// machine's identity, or another agent could have answered. `coordinator enroll` believes it
/// only when the coordinator says that node was enrolled with the join token this run wrote
/// to this host (`GET /v1/nodes/{id}/enrollment`, admin).
enum EnrolledNodeCheck {
    static func verify(nodeID: String, tokenID: String, host: String, client: APIClient) async throws {
        let enrollment: NodeEnrollmentView
        do {
            enrollment = try await client.get("/v1/nodes/\(APIPath.segment(nodeID))/enrollment", as: NodeEnrollmentView.self)
        } catch let error as ShoalError where error.code == .notFound {
            throw ShoalError(.bootstrapIdentityMismatch, "\(host) reports node \(nodeID), which this coordinator never enrolled; the host's agent state is not what this run installed")
        }
        guard enrollment.tokenID == tokenID else {
            throw ShoalError(
                .bootstrapIdentityMismatch,
                "\(host) reports node \(nodeID), which was enrolled with token \(enrollment.tokenID ?? "(none recorded)"), not \(tokenID), the one this run wrote to it; that node is left alone — check what answers at \(host) and 'coordinator nodes list'"
            )
        }
    }
}
