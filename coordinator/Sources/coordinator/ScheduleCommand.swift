import ArgumentParser
import Foundation
import ShoalCoordinator
import ShoalCore

struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule", abstract: "Recurring rollouts on a cron schedule (UTC).",
        subcommands: [Add.self, List.self, Remove.self, Runs.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a schedule: the task options of 'task run', run whenever --cron comes due.",
            discussion: "Cron: 'minute hour day-of-month month day-of-week' in UTC, e.g. '*/15 * * * *'; or @hourly, @daily, @weekly, '@every 10m'."
        )
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Schedule name.") var scheduleName: String
        @Option(help: "When to run.") var cron: String
        @OptionGroup var task: TaskOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                _ = try CronSchedule(parsing: cron)
                let validity = try task.validFor.map { TimeInterval(try DurationText.seconds($0)) }
                let signed = try connection.signer().sign(
                    try task.makeRequest(protecting: connection.protectedPaths), validity: validity,
                    schedule: TaskStatement.ScheduleGrant(name: scheduleName, cron: cron)
                )
                let request = ScheduleCreateRequest(name: scheduleName, cron: cron, task: signed)
                let view = try await connection.withClient { try await $0.post("/v1/schedules", body: request, as: ScheduleView.self) }
                if json { return try printJSON(view) }
                print("schedule \(view.name) added; next run \(Timestamp.format(view.nextRunAt))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List schedules.")
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                let list = try await connection.withClient { try await $0.get("/v1/schedules", as: ScheduleListResponse.self) }
                if json { return try printJSON(list) }
                let rows = list.schedules.map { schedule in
                    [schedule.name, schedule.cron, Timestamp.format(schedule.nextRunAt), schedule.lastRunAt.map(Timestamp.format) ?? "never",
                     schedule.lastTaskID ?? "", schedule.selector.isEmpty ? "(all)" : schedule.selector, schedule.taskName]
                }
                print(TablePrinter.render(header: ["NAME", "CRON", "NEXT", "LAST", "LAST TASK", "SELECTOR", "TASK"], rows: rows))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a schedule (its runs so far stay recorded).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Schedule name.") var scheduleName: String

        func run() async throws {
            try await runReportingErrors {
                _ = try await connection.withClient { try await $0.send(method: .DELETE, path: "/v1/schedules/\(scheduleName)", body: nil, timeout: .seconds(30)) }
                print("schedule \(scheduleName) removed")
            }
        }
    }

    struct Runs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every time a schedule came due, and what happened.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Schedule name.") var scheduleName: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                let runs = try await connection.withClient { try await $0.get("/v1/schedules/\(scheduleName)/runs", as: ScheduleRunsResponse.self) }
                if json { return try printJSON(runs) }
                let rows = runs.runs.map { [Timestamp.format($0.at), $0.outcome, $0.taskID ?? "", $0.detail] }
                print(TablePrinter.render(header: ["AT", "OUTCOME", "TASK", "DETAIL"], rows: rows))
            }
        }
    }
}
