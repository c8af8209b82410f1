import ArgumentParser
import Foundation
import ShoalClient
import ShoalCoordinator
import ShoalCore

struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "task", abstract: "Run work across the fleet.", subcommands: [Run.self, Status.self, List.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign one bundle per targeted node and queue it.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Shell command to run on every node (/bin/sh -c).") var command: String?
        @Option(help: "Script file to run on every node (/bin/sh).") var script: String?
        @Option(help: "Label selector k=v[,k=v...]; default: every node.") var selector: String?
        @Option(help: "Per-node timeout (e.g. 60s, 10m).") var timeout = "60s"
        @Option(help: "Task name shown in status.") var name: String?
        @Flag(help: "Wait for every node and print a result table; exit 0 only if all succeeded.") var wait = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                guard (command == nil) != (script == nil) else {
                    throw ShoalError(.invalidArgument, "give exactly one of --command and --script")
                }
                let text = try command ?? SecureFile.read(script ?? "")
                let timeoutSeconds = try DurationText.seconds(timeout)
                let step = try StepSpec(kind: "command", name: name ?? "command", encoding: CommandStepParams(script: text, timeoutSeconds: timeoutSeconds))
                let request = TaskCreateRequest(
                    name: name ?? String((command ?? script ?? "").prefix(60)), steps: [step],
                    selector: try LabelText.parse(selector.map { [$0] } ?? []), timeoutSeconds: timeoutSeconds, expiresInSeconds: 3600
                )
                let finished = try await connection.withClient { client -> TaskView in
                    let created = try await client.post("/v1/tasks", body: request, as: TaskView.self)
                    guard wait else { return created }
                    if !json { FileHandle.standardError.write(Data("task \(created.id) queued on \(created.nodes.count) node(s); waiting…\n".utf8)) }
                    return try await TaskWaiter(client: client).wait(taskID: created.id, limit: .seconds(timeoutSeconds + 120))
                }
                if json {
                    try printJSON(finished)
                } else if wait {
                    print(TaskTable.render(finished))
                } else {
                    print(finished.id)
                }
                if wait && finished.status != "succeeded" { throw ExitCode(1) }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a task's per-node results.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Task id.") var id: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                let view = try await connection.withClient { try await $0.get("/v1/tasks/\(id)", as: TaskView.self) }
                if json { return try printJSON(view) }
                print(TaskTable.render(view))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List recent tasks.")
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                let tasks = try await connection.withClient { try await $0.get("/v1/tasks", as: [String: [TaskView]].self) }["tasks"] ?? []
                if json { return try printJSON(["tasks": tasks]) }
                let rows = tasks.map { task in
                    [task.id, task.status, Timestamp.format(task.createdAt), task.createdBy,
                     task.counts.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "), task.name]
                }
                print(TablePrinter.render(header: ["ID", "STATUS", "CREATED", "BY", "NODES", "NAME"], rows: rows))
            }
        }
    }
}

/// Polls a task until every node has a final status.
struct TaskWaiter {
    let client: APIClient

    func wait(taskID: String, limit: Duration) async throws -> TaskView {
        let deadline = ContinuousClock.now + limit
        while true {
            let view = try await client.get("/v1/tasks/\(taskID)", as: TaskView.self)
            if view.isFinished || ContinuousClock.now >= deadline { return view }
            try await Task.sleep(for: .milliseconds(500))
        }
    }
}

enum TaskTable {
    static func render(_ view: TaskView) -> String {
        let rows = view.nodes.map { node in
            [node.hostname, node.nodeID, node.status.rawValue, node.exitCode.map(String.init) ?? "-",
             node.errorCode?.rawValue ?? "", node.firstLine ?? ""]
        }
        let counts = view.counts.map { "\($0.value) \($0.key)" }.sorted().joined(separator: ", ")
        return TablePrinter.render(header: ["NODE", "ID", "STATUS", "EXIT", "CODE", "OUTPUT"], rows: rows)
            + "\ntask \(view.id): \(view.status) (\(counts))"
    }
}
