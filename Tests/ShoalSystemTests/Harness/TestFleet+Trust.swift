import Foundation
import ShoalCoordinator
import ShoalCore

/// What the trust tests do to a fleet: add operators through the real root ceremony, and act
/// as a compromised coordinator by writing straight into its database.
extension TestFleet {
    var rootDir: String { adminDir + "/root" }

    /// Makes operator `name` (TLS credential and signing key, as `operator create` does) and
    /// has the root add its key with `scope`; returns its operator config path.
    func addOperator(_ name: String, selector: String = "", kinds: String = "any", commands: Bool = true) throws -> String {
        let folder = root + "/operators/\(name)"
        let created = try cli(["operator", "create", name, "--role", "operator", "--out", folder])
        guard created.status == 0 else { throw ShoalError(.internalError, "operator create: \(created.stderr)") }
        var arguments = ["root", "add-operator", name, "--key", folder + "/\(name).signing.pub", "--selector", selector, "--kinds", kinds, "--root-dir", rootDir]
        if commands { arguments.append("--commands") }
        let added = try cli(arguments)
        guard added.status == 0 else { throw ShoalError(.internalError, "root add-operator: \(added.stderr)") }
        return folder + "/operator.yaml"
    }

    /// The CLI as the operator whose config is `config` (their credential and signing key).
    func cli(as config: String, _ arguments: [String]) throws -> CommandResult {
        try runCommand(Self.coordinatorBinary, arguments + ["--operator-config", config])
    }

    /// Queues a bundle for `nodeID` straight into the database, signed with the coordinator's
    /// delivery key around `statement`, under a finished task so only the agent judges it —
    /// what a stolen coordinator can do. Returns the task id.
    func injectDelivery(_ name: String, nodeID: String, statement: DSSEEnvelope, dataDir: String? = nil) async throws -> String {
        let folder = dataDir ?? self.dataDir
        let store = try SQLiteFleetStore(path: folder + "/fleet.db")
        let key = try BundleSigningKey(fileText: SecureFile.read(folder + "/bundle-signing.key"))
        var task = TaskRecord(id: "t-\(name)", name: name, createdAt: Date(), createdBy: "rogue", requestJSON: "{}", total: 1)
        task.status = .cancelled
        let delivery = DeliveryRecord(id: "b-\(name)", taskID: task.id, nodeID: nodeID, position: 0, isCanary: false, createdAt: Date())
        try await store.createTask(task, deliveries: [delivery])
        _ = try await store.queue(deliveryID: delivery.id, now: Date()) { delivery, sequence in
            let payload = DeliveryPayload(
                bundleID: delivery.id, taskID: delivery.taskID, nodeID: delivery.nodeID, sequence: sequence, issuedAt: Date(),
                expiresAt: Date().addingTimeInterval(600), statement: statement, files: []
            )
            return String(decoding: try WireCoding.encode(payload.signed(with: key)), as: UTF8.self)
        }
        return task.id
    }

    /// A task statement running `script` on every node, signed by `key` as `operatorName`.
    static func statement(_ script: String, key: BundleSigningKey, operatorName: String, selector: String = "") throws -> DSSEEnvelope {
        let step = try StepSpec(kind: "command", encoding: CommandStepParams(script: script))
        let request = TaskCreateRequest(name: "injected", steps: [step], selector: selector, timeoutSeconds: 30)
        return try TaskStatement(
            taskID: "t-" + RandomID.make(bytes: 6), operatorName: operatorName, issuedAt: Date(), expiresAt: Date().addingTimeInterval(600), request: request
        ).signed(with: key)
    }

    /// SIGTERM and wait, as `systemctl stop` would.
    func stopCoordinator() {
        coordinator?.stop(grace: 10)
        coordinator = nil
    }

    /// Waits for the one delivery of `taskID` to end; returns it.
    func finalDelivery(_ taskID: String, timeout: TimeInterval = 30) async throws -> NodeTaskView? {
        var view: TaskView?
        _ = await eventually(timeout: timeout) {
            view = try? await self.task(taskID)
            return view?.nodes.first?.status.isFinal == true
        }
        return view?.nodes.first
    }
}
