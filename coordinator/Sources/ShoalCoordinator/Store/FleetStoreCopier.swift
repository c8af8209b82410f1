import Foundation
import ShoalCore

/// `coordinator db copy --to postgres://…`: moves a fleet's state from its SQLite file to an
/// empty PostgreSQL database, in one PostgreSQL transaction (all of it or nothing), then
/// checks that every table holds as many rows as the file and that both audit chains end in
/// the same entry. The coordinator must be stopped meanwhile (docs/operations.md): what it
/// wrote after the snapshot would not be copied.
public enum FleetStoreCopier {
    public struct Report: Sendable, Equatable {
        /// Rows per table, in copy order.
        public var rows: [(table: String, count: Int)]
        public var auditHead: AuditHead?
        /// Step output files copied into the database, and their bytes.
        public var outputFiles = 0
        public var outputBytes: Int64 = 0

        public static func == (lhs: Report, rhs: Report) -> Bool {
            lhs.rows.map(\.table) == rhs.rows.map(\.table) && lhs.rows.map(\.count) == rhs.rows.map(\.count) && lhs.auditHead == rhs.auditHead
                && lhs.outputFiles == rhs.outputFiles && lhs.outputBytes == rhs.outputBytes
        }
    }

    /// Rows read and written per round trip of the batch loop.
    static let batchSize = 500

    /// `outputDirectory`: the step output files (`TaskOutputFiles`), copied in after the tables.
    public static func copy(
        sqlitePath: String, outputDirectory: String?, to url: DatabaseURL, progress: @Sendable (String, Int) -> Void = { _, _ in }
    ) async throws -> Report {
        guard FileManager.default.fileExists(atPath: sqlitePath) else {
            throw ShoalError(.fleetMissing, "no fleet database at \(sqlitePath)")
        }
        let source = try SQLiteFleetStore(path: sqlitePath)
        let export = try SQLiteFleetExport(store: source)
        let sourceHead = try await source.auditHead()
        let target = try await PostgresFleetStore(url: url, maxConnections: 2)
        defer { target.close() }

        let copied = try await target.importing { importer in
            var copied: [(table: String, count: Int)] = []
            for table in SQLiteFleetExport.tables {
                var offset = 0
                while true {
                    let rows = try export.rows(of: table, offset: offset, limit: batchSize)
                    for row in rows { try await importer.insert(row, into: table.name) }
                    offset += rows.count
                    if rows.count < batchSize { break }
                }
                copied.append((table.name, offset))
                progress(table.name, offset)
            }
            return copied
        }
        // Read back: the same number of rows everywhere, and the same chain head.
        var report = Report(rows: [], auditHead: try await target.auditHead())
        for table in SQLiteFleetExport.tables {
            let expected = try export.count(of: table)
            let found = try await target.rowCount(table.name)
            guard found == expected, copied.first(where: { $0.table == table.name })?.count == expected else {
                throw ShoalError(.storage, "after the copy \(table.name) holds \(found) rows in PostgreSQL and \(expected) in \(sqlitePath); the copy is not usable: drop and recreate the database, and copy again with the coordinator stopped")
            }
            report.rows.append((table.name, found))
        }
        guard report.auditHead == sourceHead else {
            throw ShoalError(.storage, "after the copy the audit chain ends at \(report.auditHead.map { "\($0.seq)" } ?? "nothing") in PostgreSQL and at \(sourceHead.map { "\($0.seq)" } ?? "nothing") in \(sqlitePath); drop and recreate the database, and copy again with the coordinator stopped")
        }
        if let outputDirectory {
            (report.outputFiles, report.outputBytes) = try await copyOutputs(from: outputDirectory, to: PostgresStepOutputs(store: target))
            progress("step output files", report.outputFiles)
        }
        return report
    }

    /// Every `TASK/DELIVERY/step-N.stdout|stderr` under `root` (in-progress `.upload-*` files left out).
    static func copyOutputs(from root: String, to outputs: PostgresStepOutputs) async throws -> (files: Int, bytes: Int64) {
        let files = FileManager.default
        var copied = (files: 0, bytes: Int64(0))
        for task in ((try? files.contentsOfDirectory(atPath: root)) ?? []).sorted() {
            for delivery in ((try? files.contentsOfDirectory(atPath: "\(root)/\(task)")) ?? []).sorted() {
                for name in ((try? files.contentsOfDirectory(atPath: "\(root)/\(task)/\(delivery)")) ?? []).sorted() {
                    let parts = name.split(separator: ".")
                    guard parts.count == 2, parts[0].hasPrefix("step-"), let step = Int(parts[0].dropFirst(5)),
                          StepOutputFile.streams.contains(String(parts[1])) else { continue }
                    copied.bytes += Int64(try await outputs.importFile(
                        "\(root)/\(task)/\(delivery)/\(name)", taskKey: task, deliveryID: delivery, step: step, stream: String(parts[1])
                    ))
                    copied.files += 1
                }
            }
        }
        return copied
    }
}
