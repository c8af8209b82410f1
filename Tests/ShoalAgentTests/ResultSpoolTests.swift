import Foundation
import ShoalAgent
import ShoalCore
import Testing

@Suite("Result spool")
struct ResultSpoolTests {
    let dir: TemporaryDirectory
    let spool: ResultSpool

    init() throws {
        dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("spool"), withIntermediateDirectories: true)
        spool = ResultSpool(directory: dir.file("spool"))
    }

    func result(_ delivery: String, finished: TimeInterval, status: BundleStatus = .succeeded) -> BundleResult {
        BundleResult(
            deliveryID: delivery, bundleID: "b-\(delivery)", taskID: "t", nodeID: "n-1", sequence: 1, status: status,
            startedAt: Date(timeIntervalSince1970: finished - 1), finishedAt: Date(timeIntervalSince1970: finished),
            steps: [StepResult(index: 0, name: "s", kind: "command", status: .changed, exitCode: 0)]
        )
    }

    @Test("an empty spool has nothing pending")
    func empty() {
        #expect(spool.pending().isEmpty)
        #expect(spool.count == 0)
    }

    @Test("added results come back in order of finishing, equal to what was added")
    func addAndPending() throws {
        let late = result("d-a", finished: 2_000)
        let early = result("d-b", finished: 1_000)
        try spool.add(late)
        try spool.add(early)
        #expect(spool.pending() == [early, late])
        #expect(spool.count == 2)
    }

    @Test("remove drops one result and leaves the rest; removing twice is harmless")
    func remove() throws {
        try spool.add(result("d-1", finished: 1))
        try spool.add(result("d-2", finished: 2))
        spool.remove(deliveryID: "d-1")
        #expect(spool.pending().map(\.deliveryID) == ["d-2"])
        spool.remove(deliveryID: "d-1")
        spool.remove(deliveryID: "d-2")
        #expect(spool.pending().isEmpty)
    }

    @Test("a second result for the same delivery replaces the first")
    func replace() throws {
        try spool.add(result("d-1", finished: 1, status: .failed))
        try spool.add(result("d-1", finished: 2, status: .succeeded))
        #expect(spool.pending().map(\.status) == [.succeeded])
    }

    @Test("a delivery id from the network cannot write outside the spool")
    func pathTraversal() throws {
        try spool.add(result("../../escaped", finished: 1))
        #expect(!dir.exists("escaped.json"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/../escaped.json"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.file("spool"))
        #expect(files == ["escaped.json"])
        #expect(spool.pending().first?.deliveryID == "../../escaped")
    }

    @Test("a spool file that does not parse is skipped, not fatal")
    func corruptFileSkipped() throws {
        try spool.add(result("d-1", finished: 1))
        try dir.write("spool/zzz.json", "{not json")
        #expect(spool.pending().map(\.deliveryID) == ["d-1"])
    }

    @Test("results survive a new spool over the same directory, as after a restart")
    func survivesRestart() throws {
        try spool.add(result("d-1", finished: 1))
        #expect(ResultSpool(directory: dir.file("spool")).pending().map(\.deliveryID) == ["d-1"])
    }
}
