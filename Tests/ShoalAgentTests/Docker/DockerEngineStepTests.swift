import Foundation
import ShoalAgent
import ShoalCore
import Testing

/// `docker_engine`: planning from inspected node states, and check mode on this host
/// compared with what dpkg-query and getent say here. Nothing here changes the host.
@Suite struct DockerEngineStepTests {
    static let debianRelease = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_CODENAME=bookworm\n"

    static func inspection(installed: Bool, group: [String]? = ["alice"], users: Set<String> = ["alice", "bob"], systemd: Bool = true, enabled: String? = "enabled", active: String? = "active") -> DockerEngineInspection {
        DockerEngineInspection(packages: ["docker.io": installed], groupMembers: group, existingUsers: users, systemdRunning: systemd, serviceEnabled: enabled, serviceActive: active)
    }

    @Test func freshNodeInstallsEnablesStartsAndAddsUsers() {
        let plan = DockerEnginePlan.make(source: .distro, users: ["bob"], inspection: Self.inspection(installed: false, group: nil, enabled: "not-found", active: "inactive"))
        // No createGroup: the package brings the group; apply inspects again after installing.
        #expect(plan.actions == [.installPackages(["docker.io"]), .addUserToGroup("bob"), .enableService, .startService])
        #expect(plan.blockers.isEmpty)
        #expect(plan.text.contains("+ install packages: docker.io\n"))
    }

    @Test func convergedNodeHasNothingToDo() {
        let plan = DockerEnginePlan.make(source: .distro, users: ["alice"], inspection: Self.inspection(installed: true))
        #expect(plan.actions.isEmpty)
        let outcome = DockerEngineStep.checkOutcome(plan)
        #expect(outcome.status == .unchanged)
    }

    @Test func partlyConfiguredNodeGetsOnlyWhatIsMissing() {
        let plan = DockerEnginePlan.make(source: .distro, users: ["alice", "bob"], inspection: Self.inspection(installed: true, group: nil, enabled: "disabled", active: "failed"))
        #expect(plan.actions == [.createGroup, .addUserToGroup("alice"), .addUserToGroup("bob"), .enableService, .startService])
        let outcome = DockerEngineStep.checkOutcome(plan)
        #expect(outcome.status == .changed)
        #expect(outcome.diff == "+ create group docker\n+ add user alice to group docker\n+ add user bob to group docker\n+ enable docker.service\n+ start docker.service\n")
    }

    @Test func unknownUsersAndMissingSystemdMakeCheckUnknown() {
        let plan = DockerEnginePlan.make(source: .distro, users: ["carol"], inspection: Self.inspection(installed: true, systemd: false, active: nil))
        #expect(plan.blockers.count == 2)
        #expect(plan.blockers[0].contains("user carol does not exist"))
        #expect(plan.blockers[1].contains("systemd is not running"))
        #expect(DockerEngineStep.checkOutcome(plan).status == .unknown)
    }

    @Test func upstreamSourceConfiguresDockersRepositoryFirst() throws {
        let entry = try #require(DockerEngineInspection.upstreamSourcesEntry(osRelease: Self.debianRelease, architecture: "amd64"))
        #expect(entry == "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable\n")
        let packages = Dictionary(uniqueKeysWithValues: DockerEngineSource.upstream.packages.map { ($0, false) })
        var inspection = DockerEngineInspection(packages: packages, groupMembers: nil, existingUsers: [], systemdRunning: true, serviceEnabled: nil, serviceActive: nil, wantedSourcesEntry: entry)
        let plan = DockerEnginePlan.make(source: .upstream, users: [], inspection: inspection)
        #expect(plan.actions.first == .configureUpstreamRepository(entry: entry))
        #expect(plan.actions.dropFirst().first == .installPackages(DockerEngineSource.upstream.packages))
        // Key and entry already in place: straight to installing.
        inspection.upstreamKeyPresent = true
        inspection.upstreamSourcesEntry = entry
        #expect(DockerEnginePlan.make(source: .upstream, users: [], inspection: inspection).actions.first == .installPackages(DockerEngineSource.upstream.packages))
        // Docker publishes no repository for other distributions.
        #expect(DockerEngineInspection.upstreamSourcesEntry(osRelease: "ID=fedora\nVERSION_CODENAME=\n", architecture: "amd64") == nil)
        inspection.wantedSourcesEntry = nil
        inspection.upstreamKeyPresent = false
        #expect(DockerEnginePlan.make(source: .upstream, users: [], inspection: inspection).blockers.first?.contains("Debian and Ubuntu only") == true)
    }

    @Test func checkOnThisHostAgreesWithDpkgAndGetent() async throws {
        let directory = try TemporaryDirectory()
        let context = StepContext(nodeID: "n", bundleID: "b", stepIndex: 0, files: [:], outputPrefix: directory.file("engine"), remaining: nil)
        let inspection = await DockerEngineInspection.inspect(source: .distro, users: ["root"], outputPrefix: directory.file("inspect"))
        let dpkgSaysInstalled = Self.output("/usr/bin/dpkg-query", ["-W", "-f=${Status}", "docker.io"]) == "install ok installed"
        #expect(inspection.packages["docker.io"] == dpkgSaysInstalled)
        let groupLine = Self.output("/usr/bin/getent", ["group", "docker"])
        #expect((inspection.groupMembers != nil) == !groupLine.isEmpty)
        #expect(inspection.existingUsers == ["root"])
        #expect(inspection.systemdRunning == FileManager.default.fileExists(atPath: "/run/systemd/system"))

        let step = try DockerEngineStep(spec: StepSpec(kind: DockerEngineStep.kind, encoding: DockerEngineStepParams(source: .distro, users: ["root"])))
        let outcome = await step.check(in: context)
        #expect((outcome.diff ?? "").contains("install packages: docker.io") == !dpkgSaysInstalled)
        #expect((outcome.diff ?? "").contains("add user root to group docker") == !Self.members(groupLine).contains("root"))
        if !inspection.systemdRunning {
            #expect(outcome.status == .unknown)
            #expect(outcome.message?.contains("systemd is not running") == true)
        } else {
            #expect(outcome.status == .changed || outcome.status == .unchanged)
        }
    }

    @Test func applyRefusesBeforeChangingAnythingWhenAUserIsMissing() async throws {
        let directory = try TemporaryDirectory()
        let context = StepContext(nodeID: "n", bundleID: "b", stepIndex: 0, files: [:], outputPrefix: directory.file("engine"), remaining: nil)
        let user = "shoal-no-such-user-\(UInt32.random(in: 0...UInt32.max))"
        let step = try DockerEngineStep(spec: StepSpec(kind: DockerEngineStep.kind, encoding: DockerEngineStepParams(users: [user])))
        let outcome = await step.apply(in: context)
        #expect(outcome.status == .failed)
        #expect(outcome.errorCode == .dockerEngineFailed)
        #expect(outcome.message?.contains("user \(user) does not exist") == true)
        #expect(outcome.message?.hasSuffix("nothing was changed") == true)
        #expect(await step.check(in: context).status == .unknown)
    }

    @Test func userNamesAreValidated() {
        #expect(throws: ShoalError.self) {
            try DockerEngineStep(spec: StepSpec(kind: DockerEngineStep.kind, encoding: DockerEngineStepParams(users: ["a,b"])))
        }
        #expect(throws: ShoalError.self) {
            try DockerEngineStep(spec: StepSpec(kind: DockerEngineStep.kind, params: .object(["source": .string("snap")])))
        }
    }

    /// The members field of a `getent group` line.
    static func members(_ line: String) -> [String] {
        (line.split(separator: ":", omittingEmptySubsequences: false).dropFirst(3).first ?? "").split(separator: ",").map(String.init)
    }

    static func output(_ program: String, _ arguments: [String]) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
