import Foundation
import Hummingbird
import NIOCore
import PostgresNIO
import ShoalCore

/// Full step output in the PostgreSQL database (`v2-step-outputs`), so any replica serves
/// what any other received and no replica keeps state on its own disk.
///
/// An upload is written as numbered chunks of `chunkSize` under a fresh upload id as it
/// arrives (one chunk in memory at a time); once whole, one transaction points the step's
/// `step_outputs` row at it and deletes the chunks of the upload it replaces. A failed or
/// refused upload deletes its chunks; one cut off by a crash leaves chunks no row points at,
/// which go when retention removes the task's output.
struct PostgresStepOutputs: StepOutputStore {
    let store: PostgresFleetStore
    static let chunkSize = 256 * 1024

    func store(
        _ body: RequestBody, taskID: String, deliveryID: String, step: Int, stream: String, streamCap: Int, deliveryCap: Int
    ) async throws -> Int {
        let taskKey = ResultPathName.safe(taskID)
        let others = try await store.read { transaction in
            try await transaction.scalar(Int64.self, """
                SELECT COALESCE(SUM(bytes), 0)::BIGINT FROM step_outputs
                WHERE deliveryID = \(deliveryID) AND NOT (step = \(Int64(step)) AND stream = \(stream))
                """) ?? 0
        }
        let allowed = min(streamCap, deliveryCap - Int(others))
        guard allowed > 0 else {
            throw ShoalError(.bodyTooLarge, "delivery \(deliveryID) already has \(others) bytes of output, its limit (limits.max_output_bytes_per_delivery: \(deliveryCap)); the rest is not kept")
        }
        let upload = RandomID.make(bytes: 12)
        var written = 0
        var chunks: Int64 = 0
        var pending = ByteBuffer()
        func flush() async throws {
            guard pending.readableBytes > 0 else { return }
            let data = pending
            let index = chunks
            try await store.write { transaction in
                try await transaction.execute("""
                    INSERT INTO step_output_chunks (upload, chunk, taskKey, data) VALUES (\(upload), \(index), \(taskKey), \(data))
                    """)
            }
            chunks += 1
            pending.clear()
        }
        do {
            for try await part in body {
                written += part.readableBytes
                guard written <= allowed else {
                    throw ShoalError(.bodyTooLarge, "step output is over the \(allowed) bytes left for it (\(streamCap) per stream; limits.max_output_bytes_per_delivery \(deliveryCap) per delivery, \(others) already stored); nothing of this upload is kept")
                }
                var part = part
                pending.writeBuffer(&part)
                if pending.readableBytes >= Self.chunkSize { try await flush() }
            }
            try await flush()
            let (total, count) = (Int64(written), chunks)
            try await store.write { transaction in
                // Again, as it commits: another replica may have stored this delivery's other
                // output meanwhile. SERIALIZABLE: of two such commits at once, one runs again
                // and sees the other's.
                let othersNow = try await transaction.scalar(Int64.self, """
                    SELECT COALESCE(SUM(bytes), 0)::BIGINT FROM step_outputs
                    WHERE deliveryID = \(deliveryID) AND NOT (step = \(Int64(step)) AND stream = \(stream))
                    """) ?? 0
                guard othersNow + total <= Int64(deliveryCap) else {
                    throw ShoalError(.bodyTooLarge, "delivery \(deliveryID) now has \(othersNow) bytes of other output (stored meanwhile, through another coordinator); with these \(total) it is over its limit (limits.max_output_bytes_per_delivery: \(deliveryCap)); nothing of this upload is kept")
                }
                let replaced = try await transaction.scalar(String.self, """
                    SELECT upload FROM step_outputs WHERE deliveryID = \(deliveryID) AND step = \(Int64(step)) AND stream = \(stream)
                    """)
                try await transaction.execute("""
                    INSERT INTO step_outputs (deliveryID, step, stream, taskKey, upload, bytes, chunks)
                    VALUES (\(deliveryID), \(Int64(step)), \(stream), \(taskKey), \(upload), \(total), \(count))
                    ON CONFLICT (deliveryID, step, stream) DO UPDATE SET upload = excluded.upload, bytes = excluded.bytes, chunks = excluded.chunks
                    """)
                if let replaced { try await transaction.execute("DELETE FROM step_output_chunks WHERE upload = \(replaced)") }
            }
            return written
        } catch {
            _ = try? await store.write { try await $0.execute("DELETE FROM step_output_chunks WHERE upload = \(upload)") }
            throw error
        }
    }

    /// `coordinator db copy`: one output file of `TaskOutputFiles` (`output/TASK/DELIVERY/step-N.STREAM`)
    /// into the database as its upload, read one chunk at a time; returns the bytes copied.
    func importFile(_ path: String, taskKey: String, deliveryID: String, step: Int, stream: String) async throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ShoalError(.storage, "cannot read the step output \(path)")
        }
        defer { try? handle.close() }
        let upload = RandomID.make(bytes: 12)
        var bytes = 0
        var chunks: Int64 = 0
        while let data = try handle.read(upToCount: Self.chunkSize), !data.isEmpty {
            let buffer = ByteBuffer(bytes: data)
            let index = chunks
            try await store.write { transaction in
                try await transaction.execute("""
                    INSERT INTO step_output_chunks (upload, chunk, taskKey, data) VALUES (\(upload), \(index), \(taskKey), \(buffer))
                    """)
            }
            bytes += data.count
            chunks += 1
        }
        let (total, count) = (Int64(bytes), chunks)
        try await store.write { transaction in
            try await transaction.execute("""
                INSERT INTO step_outputs (deliveryID, step, stream, taskKey, upload, bytes, chunks)
                VALUES (\(deliveryID), \(Int64(step)), \(stream), \(taskKey), \(upload), \(total), \(count))
                """)
        }
        return bytes
    }

    func body(taskID: String, delivery: DeliveryRecord) -> ResponseBody {
        let store = self.store
        return ResponseBody { writer in
            try await Self.stream(delivery, from: store, into: &writer)
            try await writer.finish(nil)
        }
    }

    /// One chunk at a time: a download holds at most one chunk in memory.
    static func stream(_ delivery: DeliveryRecord, from store: PostgresFleetStore, into writer: inout any ResponseBodyWriter) async throws {
        for step in delivery.result?.steps ?? [] {
            for stream in StepOutputFile.streams {
                let stored = try await store.read { transaction in
                    try await transaction.fetchOne(StoredOutput.self, """
                        SELECT upload, chunks FROM step_outputs WHERE deliveryID = \(delivery.id) AND step = \(Int64(step.index)) AND stream = \(stream)
                        """)
                }
                guard let stored, stored.chunks > 0 else { continue }
                try await writer.write(ByteBuffer(string: header(step: step, stream: stream)))
                var last: UInt8 = 10
                for index in 0..<stored.chunks {
                    let chunk = try await store.read { transaction in
                        try await transaction.scalar(ByteBuffer.self, "SELECT data FROM step_output_chunks WHERE upload = \(stored.upload) AND chunk = \(index)")
                    }
                    guard let chunk, chunk.readableBytes > 0 else { break }
                    last = chunk.getInteger(at: chunk.writerIndex - 1, as: UInt8.self) ?? last
                    try await writer.write(chunk)
                }
                if last != 10 { try await writer.write(ByteBuffer(string: "\n")) }
            }
        }
    }

    struct StoredOutput: Decodable {
        var upload: String
        var chunks: Int64
    }

    func storedTasks() async throws -> [String: Int64] {
        try await store.read { transaction in
            var sizes: [String: Int64] = [:]
            for row in try await transaction.fetchAll(TaskBytes.self, "SELECT taskKey, SUM(bytes)::BIGINT AS bytes FROM step_outputs GROUP BY taskKey") {
                sizes[row.taskKey] = row.bytes
            }
            return sizes
        }
    }

    struct TaskBytes: Decodable {
        var taskKey: String
        var bytes: Int64
    }

    func remove(taskFolder: String) async throws {
        try await store.write { transaction in
            try await transaction.execute("DELETE FROM step_outputs WHERE taskKey = \(taskFolder)")
            try await transaction.execute("DELETE FROM step_output_chunks WHERE taskKey = \(taskFolder)")
        }
    }
}
