import Foundation
@testable import ShoalAgent
import ShoalCore
import Testing

/// The group step against a copy of this host's account files with the real groupadd,
/// groupmod and groupdel (`--prefix`).
@Suite("Group step")
struct GroupStepTests {
    let dir: TemporaryDirectory
    let root: String

    init() throws {
        dir = try TemporaryDirectory()
        root = try SystemStepFixtures.accountsRoot(in: dir)
    }

    func step(_ params: [String: JSONValue]) throws -> GroupStep {
        try GroupStep(spec: SystemStepFixtures.spec(GroupStep.kind, params), root: root)
    }

    var accounts: AccountDatabase { AccountDatabase.read(root: root) }

    @Test("check says 'would create', apply creates the group with its gid, a second apply is unchanged")
    func createGroup() async throws {
        let wanted = try step(["name": .string("gpu-ops"), "gid": .number(4242)])
        let check = await wanted.check(in: SystemStepFixtures.context(dir))
        #expect(check.status == .changed)
        #expect(check.message == "would create group gpu-ops (gid 4242)")
        #expect(accounts.group("gpu-ops") == nil)

        #expect(await wanted.apply(in: SystemStepFixtures.context(dir)).status == .changed)
        #expect(accounts.group("gpu-ops")?.gid == 4242)
        #expect(await wanted.apply(in: SystemStepFixtures.context(dir)).status == .unchanged)
    }

    @Test("a system group gets a gid below 1000 from groupadd --system")
    func systemGroup() async throws {
        #expect(try await step(["name": .string("shoal-svc"), "system": .bool(true)]).apply(in: SystemStepFixtures.context(dir)).status == .changed)
        let gid = try #require(accounts.group("shoal-svc")?.gid)
        #expect(gid < 1000)
    }

    @Test("a different gid is changed with groupmod")
    func changeGid() async throws {
        _ = try await step(["name": .string("gpu-ops"), "gid": .number(4242)]).apply(in: SystemStepFixtures.context(dir))
        let outcome = try await step(["name": .string("gpu-ops"), "gid": .number(4343)]).apply(in: SystemStepFixtures.context(dir))
        #expect(outcome.message == "changed: change gid of group gpu-ops 4242 -> 4343")
        #expect(accounts.group("gpu-ops")?.gid == 4343)
    }

    @Test("a gid held by another group fails with user.gid_taken")
    func gidTaken() async throws {
        let outcome = try await step(["name": .string("gpu-ops"), "gid": .number(0)]).check(in: SystemStepFixtures.context(dir))
        #expect(outcome.errorCode == "user.gid_taken")
    }

    @Test("absent removes the group; the primary group of a user and gid 0 are refused")
    func removeGroup() async throws {
        _ = try await step(["name": .string("gpu-ops")]).apply(in: SystemStepFixtures.context(dir))
        let remove = try step(["name": .string("gpu-ops"), "state": .string("absent")])
        #expect(await remove.apply(in: SystemStepFixtures.context(dir)).status == .changed)
        #expect(accounts.group("gpu-ops") == nil)
        #expect(await remove.apply(in: SystemStepFixtures.context(dir)).status == .unchanged)

        let rootGroup = try await step(["name": .string("root"), "state": .string("absent")]).check(in: SystemStepFixtures.context(dir))
        #expect(rootGroup.errorCode == "user.refuse_root_group")
        let primary = try await step(["name": .string("nogroup"), "state": .string("absent")]).check(in: SystemStepFixtures.context(dir))
        #expect(primary.errorCode == "user.group_in_use")
        #expect(accounts.group("nogroup") != nil)
    }
}
