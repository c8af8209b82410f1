import Foundation
import Logging
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// Two coordinators' rollout engines on one store — two `Fleet`s loaded from one data
/// directory, each with its own connections to the backend's database (`StoreBackend`) — drive one rollout: `--max-concurrency`
/// holds across them, no node is sent its bundle twice, and a rollout whose replica died
/// holding its lease is finished by the other once the lease runs out. Nodes are played by
/// a loop that takes, starts and finishes deliveries through the store, as agent requests do.
@Suite(.timeLimit(.minutes(2))) struct ReplicatedRolloutTests {
    let directory = NSTemporaryDirectory() + "shoal-replicas-" + RandomID.make(bytes: 6)
    let nodes = (1...6).map { "n-\($0)" }
    let replicas: [Fleet]
    let signer: OperatorSigner

    init() async throws {
        _ = try FleetInitializer(
            dataDir: directory, advertiseURL: "https://127.0.0.1:1", listen: "127.0.0.1:1", extraNames: [], force: false, adminDir: directory + "/admin"
        ).run()
        try await StoreBackend.current().adopt(dataDir: directory)
        replicas = [try await Fleet.load(dataDir: directory), try await Fleet.load(dataDir: directory)]
        for fleet in replicas { try await fleet.prepare() }
        signer = OperatorSigner(name: "admin", key: try OperatorKeyFile.load(directory + "/admin/operator.key"))
        let store = replicas[0].store
        try await store.insertToken(JoinTokenRecord(
            id: "tok", tokenHash: RandomID.hash("t"), createdAt: Date(), expiresAt: Date().addingTimeInterval(600),
            usesAllowed: nodes.count, usesCount: 0, labelsJSON: "{\"role\":\"web\"}", createdBy: "test"
        ), audit: .test("token.create"))
        for node in nodes {
            _ = try await store.enroll(tokenHash: RandomID.hash("t"), now: Date()) { JoinTokenStoreTests.node(node, $0) }
        }
    }

    /// Plans a signed `true` on every node at `--max-concurrency 2`, through replica 0.
    func createRollout() async throws -> String {
        let step = try StepSpec(kind: "command", encoding: CommandStepParams(script: "true"))
        let request = TaskCreateRequest(name: "replicated", steps: [step], selector: "role=web", timeoutSeconds: 600, expiresInSeconds: 600, policy: RolloutPolicy(maxConcurrency: .count(2)))
        let accepted = try SignedTaskIntake(fleet: replicas[0]).check(try signer.sign(request), sender: nil)
        return try await TaskPlanner(fleet: replicas[0]).create(accepted, by: PeerIdentity(role: .operator, name: "admin")).id
    }

    func engine(_ index: Int, lease: TimeInterval) -> RolloutEngine {
        RolloutEngine(fleet: replicas[index], notifier: WorkNotifier(), logger: Logger(label: "replica-\(index)"), idleLimit: .seconds(1), replica: "replica-\(index)", leaseDuration: lease)
    }

    /// Plays every node until the task is final: takes what is queued for it, starts it,
    /// holds it `hold`, and reports success. Returns how often each delivery was handed out.
    func playNodes(task: String, hold: Duration) async throws -> [String: Int] {
        let store = replicas[1].store
        return try await withThrowingTaskGroup(of: [String].self) { group in
            for node in nodes {
                group.addTask {
                    var handedOut: [String] = []
                    while try await store.task(id: task)?.status.isFinal == false {
                        for delivery in try await store.takeQueuedDeliveries(nodeID: node, now: Date()) {
                            handedOut.append(delivery.id)
                            guard try await store.startDelivery(deliveryID: delivery.id, nodeID: node, now: Date()) else { continue }
                            try await Task.sleep(for: hold)
                            let result = BundleResult(
                                deliveryID: delivery.id, bundleID: delivery.id, taskID: task, nodeID: node, sequence: delivery.sequence,
                                status: .succeeded, startedAt: Date(), finishedAt: Date(), steps: []
                            )
                            _ = try await store.recordResult(result, fromNode: node, now: Date())
                        }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    return handedOut
                }
            }
            return try await group.reduce(into: [String: Int]()) { counts, ids in
                for id in ids { counts[id, default: 0] += 1 }
            }
        }
    }

    /// The most deliveries of `task` running at one moment, from their recorded start and finish.
    func peakConcurrency(_ task: String) async throws -> Int {
        let spans = try await replicas[0].store.deliveries(taskID: task).compactMap { delivery in
            delivery.startedAt.flatMap { start in delivery.finishedAt.map { (start, $0) } }
        }
        // A busiest moment begins with some delivery's start: count what runs at each start.
        return spans.map { span in spans.filter { $0.0 <= span.0 && span.0 < $0.1 }.count }.max() ?? 0
    }

    @Test func twoReplicasKeepMaxConcurrencyAndSendEachBundleOnce() async throws {
        let task = try await createRollout()
        let engines = [engine(0, lease: 60), engine(1, lease: 60)]
        let running = engines.map { engine in Task { try await engine.run() } }
        let handedOut = try await playNodes(task: task, hold: .milliseconds(300))
        for run in running { run.cancel() }

        let view = try #require(try await replicas[1].store.task(id: task))
        #expect(view.status == .succeeded)
        #expect(view.succeededCount == nodes.count)
        #expect(handedOut.count == nodes.count && handedOut.values.allSatisfy { $0 == 1 }, "\(handedOut)")
        #expect(try await peakConcurrency(task) <= 2)
        let sequences = try await replicas[0].store.deliveries(taskID: task).map(\.sequence)
        #expect(sequences.allSatisfy { $0 == 1 }, "one bundle per node, signed once: \(sequences)")
    }

    @Test func aRolloutLeftByADeadReplicaIsFinishedByTheOtherOnceItsLeaseRunsOut() async throws {
        let task = try await createRollout()
        // A replica that claimed the rollout and died: its lease stands for 2 s more.
        let deadUntil = Date().addingTimeInterval(2)
        _ = try await replicas[0].store.claimRollouts(holder: "dead-replica", now: Date(), until: deadUntil)
        let survivor = engine(1, lease: 60)
        let run = Task { try await survivor.run() }
        let handedOut = try await playNodes(task: task, hold: .milliseconds(50))
        run.cancel()

        let deliveries = try await replicas[1].store.deliveries(taskID: task)
        #expect(deliveries.allSatisfy { $0.status == .succeeded })
        let firstQueued = try #require(deliveries.compactMap(\.queuedAt).min())
        // The store keeps times to the millisecond, so the lease's end as stored may be up to 1 ms earlier.
        #expect(firstQueued >= deadUntil.addingTimeInterval(-0.001), "nothing started while the dead replica's lease stood")
        #expect(handedOut.values.allSatisfy { $0 == 1 })
        #expect(try await peakConcurrency(task) <= 2)
    }
}
