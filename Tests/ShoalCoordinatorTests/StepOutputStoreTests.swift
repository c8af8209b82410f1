import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import ShoalCore
import ShoalTestSupport
import Testing

@testable import ShoalCoordinator

/// Both places full step output can live behave alike: files beside a SQLite store, chunks in
/// PostgreSQL. Uploads replace, caps refuse and keep nothing, downloads come back byte for
/// byte with their headers, retention sees and removes a task's output.
@Suite struct StepOutputStoreTests {
    enum Kind: String, CaseIterable { case files, postgres }

    static func make(_ kind: Kind) async throws -> any StepOutputStore {
        switch kind {
        case .files:
            let directory = NSTemporaryDirectory() + "shoal-outputs-" + RandomID.make(bytes: 6)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return TaskOutputFiles(root: directory)
        case .postgres:
            let url = try DatabaseURL(try await PostgresServer.shared().createDatabase() + "?sslmode=disable", source: "test")
            return PostgresStepOutputs(store: try await PostgresFleetStore(url: url, maxConnections: 2))
        }
    }

    /// A delivery whose stored result has steps 0 and 1.
    static let delivery: DeliveryRecord = {
        var delivery = DeliveryRecord(id: "d-1", taskID: "t-1", nodeID: "n-1", position: 0, isCanary: false, createdAt: Date())
        let result = BundleResult(
            deliveryID: "d-1", bundleID: "b-1", taskID: "t-1", nodeID: "n-1", sequence: 1, status: .succeeded, startedAt: Date(), finishedAt: Date(),
            steps: [StepResult(index: 0, name: "first", kind: "command", status: .changed), StepResult(index: 1, name: "second", kind: "command", status: .changed)]
        )
        delivery.resultJSON = String(decoding: (try? WireCoding.encode(result)) ?? Data(), as: UTF8.self)
        return delivery
    }()

    final class Collected: @unchecked Sendable { var bytes = ByteBuffer() }

    struct Collector: ResponseBodyWriter {
        let collected: Collected
        mutating func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            collected.bytes.writeBuffer(&buffer)
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    static func download(_ outputs: any StepOutputStore) async throws -> String {
        try await collect(outputs.body(taskID: "t-1", delivery: delivery))
    }

    static func collect(_ body: ResponseBody) async throws -> String {
        let collected = Collected()
        try await body.write(Collector(collected: collected))
        return String(buffer: collected.bytes)
    }

    static func upload(_ outputs: any StepOutputStore, _ text: String, step: Int = 0, stream: String = "stdout", streamCap: Int = 1 << 20, deliveryCap: Int = 1 << 22) async throws -> Int {
        try await outputs.store(
            RequestBody(buffer: ByteBuffer(string: text)), taskID: "t-1", deliveryID: "d-1", step: step, stream: stream,
            streamCap: streamCap, deliveryCap: deliveryCap
        )
    }

    @Test(arguments: Kind.allCases) func storesReplacesAndStreamsBack(_ kind: Kind) async throws {
        let outputs = try await Self.make(kind)
        // Over two PostgreSQL chunks, so the download joins chunks.
        let big = String(repeating: "0123456789abcdef", count: 40_000) + "end"
        #expect(try await Self.upload(outputs, "old output\n") == 11)
        #expect(try await Self.upload(outputs, big) == big.utf8.count)
        #expect(try await Self.upload(outputs, "oops", step: 1, stream: "stderr") == 4)
        let text = try await Self.download(outputs)
        #expect(text == "==> step 1 (first) stdout <==\n" + big + "\n" + "==> step 2 (second) stderr <==\noops\n")
        #expect(try await outputs.storedTasks() == ["t-1": Int64(big.utf8.count + 4)])
        try await outputs.remove(taskFolder: "t-1")
        #expect(try await outputs.storedTasks().isEmpty)
        #expect(try await Self.download(outputs).isEmpty)
    }

    @Test(arguments: Kind.allCases) func overACapNothingOfTheUploadIsKept(_ kind: Kind) async throws {
        let outputs = try await Self.make(kind)
        _ = try await Self.upload(outputs, "kept\n")
        await #expect(throws: ShoalError.self) { _ = try await Self.upload(outputs, String(repeating: "x", count: 100), streamCap: 50) }
        // The delivery cap counts the other stream's bytes: 5 stored, 10 allowed in all.
        await #expect(throws: ShoalError.self) { _ = try await Self.upload(outputs, "123456", stream: "stderr", deliveryCap: 10) }
        #expect(try await Self.download(outputs) == "==> step 1 (first) stdout <==\nkept\n")
        #expect(try await outputs.storedTasks() == ["t-1": 5])
    }

    /// Two replicas take uploads of two steps of one delivery at once, each under the
    /// delivery's cap alone but not together: the cap is checked again when an upload
    /// commits (SERIALIZABLE), so one of them is refused, whichever replica got it.
    @Test func theDeliveryCapHoldsAcrossReplicasUploadingAtOnce() async throws {
        let url = try DatabaseURL(try await PostgresServer.shared().createDatabase() + "?sslmode=disable", source: "test")
        let replicas = [
            PostgresStepOutputs(store: try await PostgresFleetStore(url: url, maxConnections: 2)),
            PostgresStepOutputs(store: try await PostgresFleetStore(url: url, maxConnections: 2)),
        ]
        let uploads = (0..<2).map { _ in HeldUpload(bytes: ByteBuffer(string: String(repeating: "x", count: 600))) }
        let results = (0..<2).map { index in
            Task {
                try await replicas[index].store(
                    RequestBody(asyncSequence: uploads[index]), taskID: "t-1", deliveryID: "d-1", step: index, stream: "stdout",
                    streamCap: 1000, deliveryCap: 1000
                )
            }
        }
        // Both have checked what the delivery holds (nothing yet) before either commits.
        for upload in uploads { #expect(try await upload.reading.wait(upTo: .seconds(20))) }
        for upload in uploads { upload.release.signal() }
        var stored = 0
        var refused: [ShoalError] = []
        for result in results {
            do { stored += try await result.value } catch let error as ShoalError { refused.append(error) }
        }
        #expect(stored == 600 && refused.map(\.code) == [.bodyTooLarge], "stored \(stored), refused \(refused)")
        #expect(try await replicas[0].storedTasks() == ["t-1": 600])
    }
}

/// An upload body that signals `reading` when the store starts reading it and ends only
/// after `release`: uploads held open together.
struct HeldUpload: AsyncSequence, Sendable {
    let bytes: ByteBuffer
    let reading = Wakeup()
    let release = Wakeup()

    struct AsyncIterator: AsyncIteratorProtocol {
        let upload: HeldUpload
        var sent = false

        mutating func next() async throws -> ByteBuffer? {
            guard !sent else { return nil }
            sent = true
            upload.reading.signal()
            _ = try await upload.release.wait(upTo: .seconds(30))
            return upload.bytes
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(upload: self) }
}
