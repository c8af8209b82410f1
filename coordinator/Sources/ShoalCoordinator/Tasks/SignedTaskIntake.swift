import Foundation
import ShoalCore

/// Checks an operator-signed task before anything is stored or signed: the operator layer
/// exactly as agents check it (a key of the current trust document, the statement valid),
/// that the signer is the operator sending it, that the carried files are the ones signed,
/// and that the scope admits every step and every targeted node. Agents check all of it
/// again on their own; this is where the operator hears about it, at the terminal.
struct SignedTaskIntake: Sendable {
    let fleet: Fleet
    /// Longest a one-off task may stay valid, and a schedule.
    static let maxTaskValidity: TimeInterval = 30 * 86400
    static let maxScheduleValidity: TimeInterval = 366 * 86400

    struct Accepted: Sendable {
        var request: TaskCreateRequest
        var statement: TaskStatement
        var envelope: DSSEEnvelope
        var grant: TrustDocument.OperatorGrant
    }

    func check(_ signed: SignedTaskRequest, sender: PeerIdentity?, now: Date = Date()) throws -> Accepted {
        let trust = try fleet.trust.require()
        let (statement, grant) = try trust.document.verifyTask(signed.statement)
        if let sender, sender.name != grant.name {
            throw ShoalError(.forbidden, "the task is signed with the key of operator '\(grant.name)' but sent with the credential of '\(sender.name)'; each operator signs with their own key")
        }
        guard statement.taskID.hasPrefix("t-"), statement.taskID.count <= 64, statement.taskID.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw ShoalError(.invalidArgument, "task id '\(statement.taskID)' must be 't-' followed by letters, digits and '-', at most 64 characters")
        }
        let limit = statement.schedule == nil ? Self.maxTaskValidity : Self.maxScheduleValidity
        guard statement.expiresAt > now, statement.expiresAt.timeIntervalSince(now) <= limit + 300 else {
            throw ShoalError(.taskExpired, "task \(statement.taskID) is valid until \(Timestamp.format(statement.expiresAt)); a signature must be current and last at most \(Int(limit / 86400)) days")
        }
        if let refusal = grant.scope.refusal(for: statement.allSteps) {
            throw ShoalError(.outOfScope, "operator '\(grant.name)': \(refusal) (scope: \(grant.scope.description))")
        }
        let files = try carriedFiles(statement, carried: signed.files ?? [])
        return Accepted(request: statement.request(files: files), statement: statement, envelope: signed.statement, grant: grant)
    }

    /// Every targeted node must be inside the signer's scope; a selector that reaches past it
    /// is refused whole, naming what it reached, rather than silently narrowed.
    func checkScope(_ grant: TrustDocument.OperatorGrant, targets: [NodeRecord]) throws {
        let outside = targets.filter { !grant.scope.admits(labels: $0.labels) }
        guard outside.isEmpty else {
            let names = outside.prefix(5).map { "\($0.id) (\($0.hostname))" }.joined(separator: ", ")
            throw ShoalError(.outOfScope, "operator '\(grant.name)' may reach \(grant.scope.description), but the task also targets \(outside.count) node(s) outside it: \(names); narrow the selector")
        }
    }

    /// The carried files, exactly those the statement names by hash.
    func carriedFiles(_ statement: TaskStatement, carried: [BundleFile]) throws -> [BundleFile] {
        var files: [BundleFile] = []
        for hash in statement.fileHashes {
            guard let file = carried.first(where: { $0.sha256 == hash }) else {
                throw ShoalError(.bundleFileMissing, "the task names file sha256:\(hash.prefix(12)), which the request does not carry; re-send it from its task file")
            }
            guard let data = Data(base64Encoded: file.content), data.sha256Hex == hash else {
                throw ShoalError(.taskInvalid, "a carried file does not match its signed sha256 \(hash.prefix(12)); re-send the task")
            }
            files.append(file)
        }
        return files
    }
}
