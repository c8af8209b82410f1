import Foundation
import ShoalClient
import ShoalCoordinator
import ShoalCore
import ShoalTestSupport
import Testing

/// Two coordinator replicas on one real PostgreSQL database serving six real agents: the fleet
/// is moved there with `coordinator db copy`, the server certificate gets the second
/// replica's address (`ca server-cert --san`), each replica has its own copy of the data
/// directory (keys and config), its own address and its own way to the database (a TCP
/// forwarder that can be cut), and every agent knows both URLs. One fleet for every phase, in
/// order: wake-ups across replicas, one run per schedule tick, `--max-concurrency` across
/// replicas, `kill -9` of the replica driving a rollout, failover, then failover again when
/// the surviving replica loses its database.
extension SystemTests {
@Suite(.serialized)
struct ReplicaTests {
    struct Replica {
        let host: String
        let port: Int
        let process: ChildProcess
        var url: String { "https://\(host):\(port)" }
        var listen: String { "\(host):\(port)" }
    }

    static func startReplica(
        _ fleet: TestFleet, dataDir: String, name: String, host: String = "127.0.0.1", port: Int = freePort(), log: String? = nil
    ) async throws -> Replica {
        let process = try ChildProcess(
            TestFleet.coordinatorBinary, ["serve", "--data-dir", dataDir, "--listen", "\(host):\(port)"], logPath: fleet.root + "/coordinator-\(log ?? name).log"
        )
        let up = await eventually(timeout: 30) { process.log.contains("coordinator listening on") }
        guard up else { throw ShoalError(.internalError, "replica \(name) did not start:\n\(process.log)") }
        return Replica(host: host, port: port, process: process)
    }

    /// Points the replica's `database:` at its own forwarder to the server.
    static func reachDatabase(dataDir: String, through forwarder: TCPForwarder) throws {
        let path = dataDir + "/coordinator.yaml"
        let config = try String(contentsOfFile: path, encoding: .utf8)
        let rewritten = config.replacingOccurrences(of: ":\(forwarder.target)/", with: ":\(forwarder.port)/")
            .replacingOccurrences(of: "@localhost:\(forwarder.port)/", with: "@127.0.0.1:\(forwarder.port)/")
        guard rewritten != config else { throw ShoalError(.internalError, "no database URL to port \(forwarder.target) in \(path)") }
        try rewritten.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func twoReplicasOnPostgreSQLServeOneFleet() async throws {
        let server = try await PostgresServer.shared()
        let database = try await server.createDatabase(prefix: "replicas") + "?sslmode=disable"
        try await TestFleet.with(configure: { $0.workLease = "6s" }) { fleet in
            // The second replica listens on 127.0.0.2: clients reach it only once the server
            // certificate names that address.
            let reissued = try fleet.cli(["ca", "server-cert", "--san", "127.0.0.2"])
            try #require(reissued.status == 0, "ca server-cert failed: \(reissued.stdout)\(reissued.stderr)")
            #expect(reissued.stdout.contains("127.0.0.2"))
            // Move the fresh fleet onto PostgreSQL, then give the second replica its own data dir.
            let copy = try fleet.cli(["db", "copy", "--to", database, "--write-config"])
            try #require(copy.status == 0, "db copy failed: \(copy.stdout)\(copy.stderr)")
            #expect(copy.stdout.contains("audit chain ends at entry"))
            let secondDir = fleet.root + "/coordinator-b"
            let copied = try runCommand("/bin/cp", ["-a", fleet.dataDir, secondDir])
            try #require(copied.status == 0, "\(copied.stderr)")
            let dataDirs = [fleet.dataDir, secondDir]
            let databasePort = try DatabaseURL(database, source: "test").port
            let ways = try dataDirs.map { _ in try TCPForwarder.start(to: databasePort) }
            for (dataDir, way) in zip(dataDirs, ways) { try Self.reachDatabase(dataDir: dataDir, through: way) }
            var replicas = [
                // The first on the advertised address, which the CLI and `fleet.admin()` use.
                try await Self.startReplica(fleet, dataDir: fleet.dataDir, name: "a", port: fleet.port),
                try await Self.startReplica(fleet, dataDir: secondDir, name: "b", host: "127.0.0.2"),
            ]
            defer { for replica in replicas { replica.process.stop(grace: 5) } }
            let urls = replicas.map(\.url)
            func cli(_ arguments: [String], via replica: Replica) throws -> CommandResult {
                try fleet.cli(arguments + ["--url", replica.url])
            }

            // Six agents, each knowing both replicas, spread over both (each starts at a random
            // URL: restart one from the busier replica until each holds at least two).
            let token = try fleet.token(uses: 6, labels: ["pool=replicas"])
            let names = (1...6).map { "rep-\($0)" }
            for name in names { _ = try fleet.startAgent(name, token: token, coordinatorURLs: urls) }
            _ = try await fleet.waitForReady(names)
            func placement() async throws -> [String: String] {
                var placed: [String: String] = [:]
                _ = try await eventually(timeout: 20) {
                    placed = Dictionary(uniqueKeysWithValues: try await fleet.nodes().compactMap { node in node.coordinatorURL.map { (node.hostname, $0) } })
                    return placed.count == names.count
                }
                return placed
            }
            var placed = try await placement()
            for _ in 0..<12 {
                let counts = urls.map { url in placed.values.filter { $0 == url }.count }
                guard counts.contains(where: { $0 < 2 }) else { break }
                let busier = urls[counts[0] > counts[1] ? 0 : 1]
                guard let name = placed.first(where: { $0.value == busier })?.key else { break }
                fleet.agents[name]?.stop(grace: 5)
                fleet.agents[name] = try ChildProcess(
                    TestFleet.agentBinary, ["run", "--config", fleet.root + "/agents/\(name)/agent.yaml"], logPath: fleet.root + "/agents/\(name)/agent-again.log"
                )
                // Its next heartbeats say which URL it uses now.
                try await Task.sleep(for: .seconds(3))
                placed = try await placement()
            }
            let perReplica = urls.map { url in placed.values.filter { $0 == url }.count }
            try #require(perReplica.allSatisfy { $0 >= 2 }, "agents did not spread over both replicas: \(placed)")

            // A schedule every 2 s, for nodes that do not exist: each tick records one run, whichever replica claims it.
            let added = try cli(["schedule", "add", "tick", "--cron", "@every 2s", "--selector", "pool=nowhere", "--command", "true"], via: replicas[1])
            try #require(added.status == 0, "schedule add failed: \(added.stderr)")
            let scheduleStarted = Date()

            // 1. Wake-ups across replicas: a bundle queued by the replica driving the rollout reaches
            //    a long poll held on the other one through NOTIFY, not after the poll's timeout.
            let quick = try cli(["task", "run", "--selector", "pool=replicas", "--command", "true", "--wait", "--json"], via: replicas[0])
            let quickView = try WireCoding.decode(TaskView.self, from: Data(quick.stdout.utf8))
            #expect(quickView.status == .succeeded, "\(quick.stderr)")
            let handOver = quickView.nodes.compactMap { node -> Double? in
                guard let queued = node.queuedAt, let sent = node.sentAt else { return nil }
                return sent.timeIntervalSince(queued) * 1000
            }.sorted()
            print("replicas: queued→sent per node (ms): \(handOver.map { String(format: "%.1f", $0) }.joined(separator: ", ")); polls per replica: \(perReplica)")
            #expect(handOver.count == 6)
            // Target 100 ms; the long polls would otherwise answer only after their wait (25 s).
            #expect((handOver.last ?? .infinity) < 1000, "a bundle waited for a poll: \(handOver)")

            // 2. One run per tick across both replicas.
            try await Task.sleep(for: .seconds(7))
            let removed = try cli(["schedule", "remove", "tick"], via: replicas[0])
            #expect(removed.status == 0, "\(removed.stderr)")
            let elapsed = Date().timeIntervalSince(scheduleStarted)
            let runs = try await fleet.admin().get("/v1/schedules/tick/runs", as: ScheduleRunsResponse.self).runs.map(\.at).sorted()
            let gaps = zip(runs, runs.dropFirst()).map { $1.timeIntervalSince($0) }
            print("replicas: \(runs.count) schedule runs in \(String(format: "%.1f", elapsed)) s, gaps \(gaps.map { String(format: "%.2f", $0) })")
            #expect(runs.count >= 2 && runs.count <= Int(elapsed / 2) + 1, "runs at \(runs.map(Timestamp.format))")
            #expect(gaps.allSatisfy { $0 > 1 }, "two runs for one tick: \(runs.map(Timestamp.format))")

            // 3. A rollout at --max-concurrency 2, and kill -9 of the replica driving it midway.
            let marker = fleet.root + "/ran"
            let started = try cli([
                "task", "run", "--selector", "pool=replicas", "--max-concurrency", "2", "--json",
                "--command", "echo $SHOAL_NODE_ID >> \(marker); sleep 2",
            ], via: replicas[0])
            let taskID = try WireCoding.decode(TaskView.self, from: Data(started.stdout.utf8)).id
            _ = try await eventually(timeout: 30) {
                (try await fleet.admin().get("/v1/tasks/\(taskID)", as: TaskView.self).counts["succeeded"] ?? 0) >= 2
            }
            let holder = try await PostgresServer.psql(
                "SELECT holder FROM work_leases WHERE kind = 'rollout' AND key = '\(taskID)'", url: database.replacingOccurrences(of: "?sslmode=disable", with: "")
            )
            let driver = try #require(replicas.firstIndex { holder.hasSuffix("/" + $0.listen) }, "lease holder '\(holder)' is neither replica")
            let survivor = replicas[1 - driver]
            replicas[driver].process.signal(SIGKILL)
            replicas[driver].process.process.waitUntilExit()

            let finished = try await eventually(timeout: 60) {
                let view = try? await OperatorTestClient.get(fleet, url: survivor.url, "/v1/tasks/\(taskID)", as: TaskView.self)
                return view?.status.isFinal == true
            }
            let view = try await OperatorTestClient.get(fleet, url: survivor.url, "/v1/tasks/\(taskID)", as: TaskView.self)
            #expect(finished && view.status == .succeeded, "\(view.status) \(view.nodes.map { "\($0.nodeID) \($0.status)" })\n\(survivor.process.log.suffix(3000))")
            // No node ran its bundle twice: each wrote the marker once.
            let ran = ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            #expect(ran.count == 6 && Set(ran).count == 6, "marker lines: \(ran)")
            // Never more than two at once, from the recorded times (a slot is held from queued to finished).
            let intervals = view.nodes.compactMap { node in node.queuedAt.flatMap { start in node.finishedAt.map { (start, $0) } } }
            let peak = intervals.map { interval in intervals.filter { $0.0 <= interval.0 && interval.0 < $0.1 }.count }.max() ?? 0
            #expect(intervals.count == 6 && peak <= 2, "peak \(peak): \(intervals)")

            // 4. The agents that used the dead replica moved to the survivor.
            let moved = try await eventually(timeout: 40) {
                let nodes = try await OperatorTestClient.get(fleet, url: survivor.url, "/v1/nodes", as: NodeListResponse.self).nodes
                return nodes.count == 6 && nodes.allSatisfy { $0.coordinatorURL == survivor.url && $0.status == "ready" }
            }
            #expect(moved, "not every agent moved to \(survivor.url)")

            // 5. The dead replica comes back; then the survivor loses its database. It answers
            //    503 server.storage at once, and every agent moves back to the other.
            let survivorIndex = 1 - driver
            replicas[driver] = try await Self.startReplica(
                fleet, dataDir: dataDirs[driver], name: ["a", "b"][driver], host: replicas[driver].host, port: replicas[driver].port,
                log: ["a", "b"][driver] + "-again"
            )
            let revived = replicas[driver]
            ways[survivorIndex].cut()
            let refused = try await eventually(timeout: 20) {
                do {
                    _ = try await OperatorTestClient.get(fleet, url: survivor.url, "/v1/nodes", as: NodeListResponse.self)
                    return false
                } catch let error as ShoalError {
                    return error.code == .storage && error.message.contains("cannot reach its fleet database")
                }
            }
            #expect(refused, "the replica without its database did not say so")
            let movedBack = try await eventually(timeout: 40) {
                let nodes = try await OperatorTestClient.get(fleet, url: revived.url, "/v1/nodes", as: NodeListResponse.self).nodes
                return nodes.count == 6 && nodes.allSatisfy { $0.coordinatorURL == revived.url && $0.status == "ready" }
            }
            #expect(movedBack, "not every agent left the replica without a database for \(revived.url)")
        }
    }
}
}

/// An admin API client for a URL other than the fleet's advertised one (another replica).
enum OperatorTestClient {
    static func get<Response: Decodable>(_ fleet: TestFleet, url: String, _ path: String, as type: Response.Type) async throws -> Response {
        let client = try OperatorConnection.load(dataDir: fleet.dataDir, operatorConfig: nil, url: url).client()
        do {
            let response = try await client.get(path, as: type)
            await client.shutdown()
            return response
        } catch {
            await client.shutdown()
            throw error
        }
    }
}
