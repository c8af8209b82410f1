import Foundation
import ShoalCore
import Testing

/// The web dashboard against a live coordinator with real agents, in headless Chromium:
/// every page shows real fleet data, a rollout page follows its rollout live, sessions come
/// only from one-time links, and actions need the role and the form's CSRF token.
/// Screenshots go to `.build/screenshots` for a reviewer.
extension SystemTests {
@Suite(.serialized)
struct DashboardTests {
    /// curl with a cookie jar, trusting the test fleet's CA.
    struct Curl {
        let jar: String
        let ca: String
        func callAsFunction(_ arguments: [String]) throws -> CommandResult {
            try runCommand("/usr/bin/curl", ["-s", "--cacert", ca, "-c", jar, "-b", jar] + arguments)
        }
    }

    @Test func everyPageShowsTheLiveFleetInABrowser() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("web-1", token: try fleet.token(labels: ["team=ml"]))
            try fleet.startAgent("web-2", token: try fleet.token())
            let nodes = try await fleet.waitForReady(["web-1", "web-2"])
            let first = try #require(nodes["web-1"])
            let browser = HeadlessBrowser(root: fleet.root)

            // Without a session a page says how to get one.
            #expect(try browser.dom(fleet.url + "/dashboard").contains("coordinator dashboard login"))

            // A one-time link opens a session; used again it is refused.
            let login = try fleet.cli(["dashboard", "login"])
            let link = login.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(login.status == 0 && link.hasPrefix(fleet.url + "/dashboard/login?token="), "\(login.stdout) \(login.stderr)")
            // The link's page sets the cookie and moves on by itself (what the dump catches of
            // that move varies); the pages below show the session works.
            _ = try browser.dom(link)
            #expect(try HeadlessBrowser(root: fleet.root + "/stranger").dom(link).contains("unknown, used or expired"))

            // The fleet page: counts, labels, every node.
            let fleetPage = try browser.dom(fleet.url + "/dashboard")
            #expect(fleetPage.contains("id=\"count-ready\">2<") && fleetPage.contains("team=ml"), "\(fleetPage)")
            #expect(fleetPage.contains(first.id) && fleetPage.contains("web-2") && fleetPage.contains("admin (admin)"))
            try browser.screenshot(fleet.url + "/dashboard", name: "dashboard-fleet")
            try browser.screenshot(fleet.url + "/dashboard", name: "dashboard-fleet-phone", windowSize: "390,844")

            // The node page: facts, labels and a chart drawn from the metric history.
            let nodePage = try browser.dom(fleet.url + "/dashboard/nodes/\(first.id)")
            #expect(nodePage.contains("web-1") && nodePage.contains("team=ml") && nodePage.contains("<svg") && nodePage.contains("<polyline"), "\(nodePage)")
            try browser.screenshot(fleet.url + "/dashboard/nodes/\(first.id)", name: "dashboard-node")

            // A rollout page rendered while the rollout runs follows it live to the end.
            let started = try fleet.cli(["task", "run", "--command", "sleep 3 && echo finished-ok", "--json"])
            #expect(started.status == 0, "\(started.stderr)")
            let task = try WireCoding.decode(TaskView.self, from: Data(started.stdout.utf8))
            #expect(!task.isFinished)
            let live = try browser.dom(fleet.url + "/dashboard/rollouts/\(task.id)", waitingForStreamsWithBudget: 20000)
            #expect(live.contains("id=\"rollout-status\">succeeded<") && live.contains("id=\"count-succeeded\">2<"), "\(live)")
            #expect(!live.contains("Cancel rollout"), "the finished rollout lost its cancel button")
            // Full output arrives a moment after the result; the page shows it as plain text.
            var shown = ""
            #expect(await eventually(timeout: 15) {
                shown = (try? browser.dom(fleet.url + "/dashboard/rollouts/\(task.id)/output/\(first.id)")) ?? ""
                return shown.contains("finished-ok")
            }, "\(shown) / CLI: \((try? fleet.cli(["task", "output", task.id, first.id]).stdout) ?? "")")
            try browser.screenshot(fleet.url + "/dashboard/rollouts/\(task.id)", name: "dashboard-rollout")

            let rollouts = try browser.dom(fleet.url + "/dashboard/rollouts")
            #expect(rollouts.contains(task.id) && rollouts.contains("2/2 finished"), "\(rollouts)")
            try browser.screenshot(fleet.url + "/dashboard/rollouts", name: "dashboard-rollouts")
            let added = try fleet.cli(["schedule", "add", "nightly-uptime", "--cron", "@daily", "--selector", "team=ml", "--command", "uptime"])
            #expect(added.status == 0, "\(added.stderr)")
            let schedules = try browser.dom(fleet.url + "/dashboard/schedules")
            #expect(schedules.contains("nightly-uptime") && schedules.contains("@daily") && schedules.contains("team=ml") && schedules.contains("next run"), "\(schedules)")
            try browser.screenshot(fleet.url + "/dashboard/schedules", name: "dashboard-schedules")
            let audit = try browser.dom(fleet.url + "/dashboard/audit")
            #expect(audit.contains("task.create") && audit.contains("token.create") && audit.contains("schedule.add"), "\(audit)")
            try browser.screenshot(fleet.url + "/dashboard/audit", name: "dashboard-audit")
        }
    }

    @Test func cancellingNeedsTheRoleAndTheFormsToken() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("cancel-1", token: try fleet.token())
            _ = try await fleet.waitForReady(["cancel-1"])
            let made = try fleet.cli(["operator", "create", "vic", "--role", "viewer", "--out", fleet.root + "/vic"])
            #expect(made.status == 0, "\(made.stderr)")
            func session(_ arguments: [String], jar: String) throws -> Curl {
                let link = try runCommand(TestFleet.coordinatorBinary, ["dashboard", "login"] + arguments).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                let curl = Curl(jar: fleet.root + "/" + jar, ca: fleet.dataDir + "/ca.crt")
                let opened = try curl(["-i", link])
                #expect(opened.stdout.contains("HttpOnly; Secure; SameSite=Strict") && opened.stdout.lowercased().contains("content-security-policy: default-src 'self'"), "\(opened.stdout)")
                return curl
            }
            let admin = try session(["--data-dir", fleet.dataDir], jar: "admin.jar")
            let viewer = try session(["--operator-config", fleet.root + "/vic/operator.yaml"], jar: "viewer.jar")

            let started = try fleet.cli(["task", "run", "--command", "sleep 30", "--json"])
            let task = try WireCoding.decode(TaskView.self, from: Data(started.stdout.utf8))
            let page = fleet.url + "/dashboard/rollouts/\(task.id)"
            // A viewer gets no button, and posting anyway is refused.
            #expect(try !viewer([page]).stdout.contains("Cancel rollout"))
            #expect(try viewer(["-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", page + "/cancel"]).stdout == "403")
            // An operator's post without the page's token is refused; with it the rollout stops.
            let html = try admin([page]).stdout
            #expect(html.contains("Cancel rollout"))
            #expect(try admin(["-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data", "csrf=forged", page + "/cancel"]).stdout == "403")
            let token = try #require(html.range(of: "name=\"csrf\" value=\"").map { html[$0.upperBound...].prefix { $0 != "\"" } })
            #expect(try admin(["-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data", "csrf=\(token)", page + "/cancel"]).stdout == "303")
            #expect(await eventually {
                let status = try? fleet.cli(["task", "status", task.id, "--json"])
                return status.flatMap { try? WireCoding.decode(TaskView.self, from: Data($0.stdout.utf8)) }?.isFinished == true
            })
            let audited = try fleet.cli(["audit", "list", "--json", "--action", "task.cancel"])
            #expect(audited.stdout.contains(task.id), "\(audited.stdout)")
            // Revoking the credential ends its dashboard session.
            #expect(try fleet.cli(["operator", "revoke", "vic"]).status == 0)
            #expect(try viewer(["-o", "/dev/null", "-w", "%{http_code}", fleet.url + "/dashboard"]).stdout == "401")
        }
    }
}
}
