import Foundation
import ShoalCoordinator
import ShoalCore
import Testing

extension SystemTests {
/// A bundle handed to a long poll that nobody reads on (the agent gone, the connection dead)
/// is shown as sent and unconfirmed, never as delivered, until the agent confirms it.
@Suite(.serialized)
struct DeliveryConfirmationTests {
    @Test func aBundleHandedToADeadPollIsSentAndUnconfirmedUntilTheAgentConfirmsIt() async throws {
        // A long TTL: the node stays `ready` after its agent stops, as in the field until the
        // liveness window passes.
        try await TestFleet.with(nodeTTL: "120s") { fleet in
            try await fleet.startCoordinator()
            let agent = try fleet.startAgent("lima", token: try fleet.token())
            let node = try #require(try await fleet.waitForReady(["lima"])["lima"])
            agent.stop(grace: 5)

            let created = try await fleet.admin().post(
                "/v1/tasks",
                body: try fleet.signer().sign(TaskCreateRequest(name: "probe", steps: [ScheduleAPITests.okStep], selector: "", timeoutSeconds: 600)),
                as: TaskView.self
            )
            // Queued, or already `sent`: the stopped agent's last long poll may still be parked on
            // the coordinator (nothing tells a server a client went away until it writes), and
            // takes the bundle into a connection nobody reads — the very case this test is about.
            #expect(await eventually(timeout: 10) { [.queued, .sent].contains((try? await fleet.task(created.id))?.nodes.first?.status) })
            // One long poll answered with the node's own certificate, whose answer is never acted on.
            let state = fleet.stateDir("lima")
            let poll = try curl([
                "--cert", state + "/node.crt", "--key", state + "/node.key", "--cacert", fleet.dataDir + "/ca.crt",
                "\(fleet.url)/v1/agent/\(node.id)/bundles?wait=0",
            ])
            #expect(poll.code == 200)
            #expect(poll.body.contains(created.nodes.first?.bundleID ?? "?"))

            let view = try await fleet.task(created.id)
            let row = try #require(view.nodes.first)
            #expect(row.status == .sent)
            #expect(row.sentAt != nil)
            #expect(row.startedAt == nil)
            let shown = try fleet.cli(["task", "status", created.id])
            #expect(shown.stdout.contains("sent, unconfirmed"), "\(shown.stdout)")
            #expect(shown.stdout.contains("1 node(s) sent but not confirmed"))
            #expect(!shown.stdout.contains("delivered"))
            let json = try fleet.cli(["task", "status", created.id, "--json"])
            #expect(json.stdout.contains("\"status\" : \"sent\""))
            #expect(json.stdout.contains("\"startedAt\" : null"))

            // The agent comes back: it is handed the bundle again, confirms it and runs it.
            try fleet.startAgent("lima", token: nil)
            let done = try await fleet.waitForTask(created.id)
            #expect(done.nodes.first?.status == .succeeded)
            #expect(done.nodes.first?.startedAt != nil)
        }
    }
}
}
