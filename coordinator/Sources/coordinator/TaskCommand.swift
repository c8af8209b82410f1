import ArgumentParser
import Foundation
import ShoalClient
import ShoalCoordinator
import ShoalCore

struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task", abstract: "Run work across the fleet.",
        subcommands: [TaskRunCommand.self, TaskStatusCommand.self, TaskListCommand.self, TaskCancelCommand.self, TaskOutputCommand.self]
    )
}

struct TaskRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Roll a command, script, task file or profile out to the nodes a selector picks.",
        discussion: """
        Selector terms, comma = and: role=compute  env!=prod  'role in (miner,executor)'  cpu.count>=8  os.release=22.04
        Labels (role, env, …) come from the join token and 'nodes label'. Facts (os.*, cpu.*, memory.*, gpu.*,
        hostname) and claimed.* labels are what each node says about itself: convenient, not proof — a hostile
        node can report anything. Select on labels where it matters who gets the work.
        Limits take a count or a percentage of the targeted nodes: --max-concurrency 10%  --max-errors 2
        """
    )
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var task: TaskOptions
    @Flag(help: "Wait for the rollout to end, print the result table; exit 0 only if it succeeded.") var wait = false
    @Flag(help: "Like --wait, with live progress.") var follow = false
    @Flag(help: "Do not ask for confirmation on a terminal.") var yes = false
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await runReportingErrors {
            let request = try task.makeRequest(protecting: connection.protectedPaths)
            let signer = try connection.signer()
            let finished = try await connection.withClient { client -> TaskView? in
                let preview = try await client.post("/v1/tasks/preview", body: request, as: TaskPreview.self)
                guard !preview.nodes.isEmpty else {
                    throw ShoalError(.noNodesMatched, "no enrolled node matches selector '\(request.selector)'; 'coordinator nodes list --selector ...' shows what matches")
                }
                if !json { Terminal.note("targeting \(preview.nodes.count) node(s)") }
                if Terminal.isInteractive, !yes, !json {
                    guard Terminal.confirm("start on \(preview.nodes.count) node(s)? [y/N] ") else { return nil }
                }
                let signed = try signer.sign(request, validity: try task.validFor.map { TimeInterval(try DurationText.seconds($0)) })
                let created = try await client.post("/v1/tasks", body: signed, as: TaskView.self)
                guard wait || follow else { return created }
                if !json { Terminal.note("task \(created.id) started; waiting…") }
                return try await TaskFollower(client: client, live: follow && !json).follow(taskID: created.id, limit: .seconds(request.timeoutSeconds * max(1, created.total) + 300))
            }
            guard let finished else { throw ExitCode(1) }
            if json {
                try printJSON(finished)
            } else if wait || follow {
                print(TaskTable.render(finished))
            } else {
                print(finished.id)
            }
            if (wait || follow) && finished.status != .succeeded { throw ExitCode(1) }
        }
    }
}

/// What to run and how to roll it out; shared by `task run` and `schedule add`.
struct TaskOptions: ParsableArguments {
    @Option(help: "Shell command to run on every node (/bin/sh -c).") var command: String?
    @Option(help: "Script file to run on every node (/bin/sh).") var script: String?
    @Option(help: "Task file (YAML): steps, vars, handlers; files it names by source: travel with it (only from its own folder, or a path you give with --var).") var file: String?
    @Option(help: "A shipped profile by name (see 'coordinator profile list').") var profile: String?
    @Option(name: .customLong("var"), help: "Set a task-file variable: name=value (repeatable).") var vars: [String] = []
    @Option(help: "Which nodes (see above); default: every node.") var selector = ""
    @Option(help: "Only these node ids, comma-separated.") var nodes: String?
    @Option(help: "Per-node timeout (e.g. 60s, 10m; default 60s for a command, the file's 'timeout' or 30m for a task file).") var timeout: String?
    @Option(name: .customLong("max-concurrency"), help: "Nodes running at once: N or P% (default: all).") var maxConcurrency: String?
    @Option(name: .customLong("max-errors"), help: "Failures tolerated before halting: N or P%.") var maxErrors = "0"
    @Option(help: "Run on N nodes first; continue only if all succeed.") var canary = 0
    @Option(help: "Retries for retryable failures (node down, bundle not picked up).") var retries = 0
    @Option(name: .customLong("retry-backoff"), help: "First retry delay; doubles each retry.") var retryBackoff = "5s"
    @Option(help: "Task name shown in status.") var name: String?
    @Flag(help: "Check mode: change nothing; report per node what would change, nodes with identical reports grouped.") var check = false
    @Option(name: .customLong("valid-for"), help: "How long your signature lets nodes start it (default 24h for a task, 90d for a schedule; at most 30d / 366d).") var validFor: String?

    /// - Parameter protected: never read for a task file's `source:` (the fleet's data directory).
    func makeRequest(protecting protected: [String]) throws -> TaskCreateRequest {
        let sources = [command, script, file, profile].compactMap { $0 }
        guard sources.count == 1 else {
            throw ShoalError(.invalidArgument, "give exactly one of --command, --script, --file and --profile")
        }
        _ = try NodeSelector(parsing: selector)
        let policy = RolloutPolicy(
            maxConcurrency: try maxConcurrency.map(RolloutLimit.init(parsing:)), maxErrors: try RolloutLimit(parsing: maxErrors),
            canary: canary, retries: retries, retryBackoffSeconds: try DurationText.seconds(retryBackoff)
        )
        let nodeIDs = nodes.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        if file != nil || profile != nil {
            let path = try file ?? ProfileLibrary().path(of: profile ?? "")
            let compiled = try TaskFileLoader.load(path: path, vars: vars, protectedPaths: protected)
            let timeoutSeconds = try timeout.map(DurationText.seconds) ?? compiled.timeoutSeconds ?? 1800
            guard timeoutSeconds > 0 else { throw ShoalError(.invalidArgument, "--timeout must be more than 0s") }
            return TaskCreateRequest(
                name: name ?? compiled.name, steps: compiled.steps, selector: selector, nodes: nodeIDs, timeoutSeconds: timeoutSeconds,
                policy: policy, checkMode: check, handlers: compiled.handlers, vars: compiled.vars, files: compiled.files
            )
        }
        guard vars.isEmpty else { throw ShoalError(.invalidArgument, "--var applies to --file and --profile only") }
        let text = try command ?? SecureFile.read(script ?? "")
        let timeoutSeconds = try DurationText.seconds(timeout ?? "60s")
        guard timeoutSeconds > 0 else { throw ShoalError(.invalidArgument, "--timeout must be more than 0s") }
        let step = try StepSpec(kind: "command", name: name ?? "command", encoding: CommandStepParams(script: text, timeoutSeconds: timeoutSeconds))
        return TaskCreateRequest(
            name: name ?? String((command ?? script ?? "").prefix(60)), steps: [step], selector: selector, nodes: nodeIDs,
            timeoutSeconds: timeoutSeconds, policy: policy, checkMode: check
        )
    }
}

struct TaskStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a rollout: counts per state, failures, per-node results.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Task id.") var id: String
    @Flag(help: "Keep updating until the rollout ends.") var follow = false
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await runReportingErrors {
            let view = try await connection.withClient { client in
                follow
                    ? try await TaskFollower(client: client, live: !json).follow(taskID: id, limit: .seconds(7 * 86400))
                    : try await client.get("/v1/tasks/\(id)", as: TaskView.self)
            }
            if json { return try printJSON(view) }
            print(TaskTable.render(view))
        }
    }
}

struct TaskListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List recent rollouts.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "How many.") var limit = 50
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await runReportingErrors {
            let tasks = try await connection.withClient { try await $0.get("/v1/tasks?limit=\(limit)", as: TaskListResponse.self) }.tasks
            if json { return try printJSON(TaskListResponse(tasks: tasks)) }
            let rows: [[String]] = tasks.map { task in
                let counts = task.counts.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
                return [task.id, task.status.rawValue, Timestamp.format(task.createdAt), task.createdBy, "\(task.total)", counts, task.name]
            }
            print(TablePrinter.render(header: ["ID", "STATUS", "CREATED", "BY", "NODES", "STATES", "NAME"], rows: rows))
        }
    }
}

struct TaskCancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a rollout: no new node starts, queued bundles are withdrawn, running steps are asked to stop."
    )
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Task id.") var id: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await runReportingErrors {
            let view = try await connection.withClient { try await $0.post("/v1/tasks/\(id)/cancel", body: [String: String](), as: TaskView.self) }
            if json { return try printJSON(view) }
            print("task \(view.id): cancel requested (\(view.counts.map { "\($0.value) \($0.key)" }.sorted().joined(separator: ", ")))")
        }
    }
}

struct TaskOutputCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "output", abstract: "Print the full output a node sent for a task, as it streams from the coordinator.",
        discussion: """
        On a terminal, control characters in the output (escape sequences, carriage returns, \
        bidi overrides) are shown escaped, e.g. \\x1b; piped or redirected, and with --raw, the \
        bytes are written as the node sent them.
        """
    )
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Task id.") var id: String
    @Argument(help: "Node id or hostname.") var node: String
    @Flag(help: "Write the bytes as they are, also on a terminal.") var raw = false

    func run() async throws {
        try await runReportingErrors {
            // A node wrote these bytes; on a terminal they could act on it rather than show.
            let escape = !raw && isatty(STDOUT_FILENO) == 1
            let out = FileHandle.standardOutput
            // Streamed chunk by chunk: a delivery's output may be tens of MiB.
            try await connection.withClient { client in
                var escaper = TerminalText.StreamEscaper()
                try await client.stream("/v1/tasks/\(id)/output/\(node)", timeout: .minutes(10)) { chunk in
                    if escape {
                        out.write(Data(escaper.feed(chunk.readableBytesView).utf8))
                    } else {
                        out.write(Data(chunk.readableBytesView))
                    }
                }
                if escape { out.write(Data(escaper.finish().utf8)) }
            }
        }
    }
}
