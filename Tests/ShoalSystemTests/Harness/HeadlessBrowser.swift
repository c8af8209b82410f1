import Foundation
import ShoalCore

/// Debian's chromium, headless, with one profile per test so the dashboard's session cookie
/// carries from page to page. It trusts any certificate: the test fleet's CA is its own.
struct HeadlessBrowser {
    let profile: String
    /// Where screenshots go for a reviewer: `SHOAL_SCREENSHOT_DIR`, else `.build/screenshots`.
    static var screenshotDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["SHOAL_SCREENSHOT_DIR"] { return dir }
        return URL(fileURLWithPath: TestFleet.binDir).deletingLastPathComponent().appendingPathComponent("screenshots").path
    }

    static var binary: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init(root: String) {
        profile = root + "/browser-profile"
    }

    private func run(_ arguments: [String], windowSize: String = "1280,900") throws -> CommandResult {
        guard let binary = Self.binary else {
            throw ShoalError(.internalError, "chromium is not installed; scripts/install-test-deps.sh installs it")
        }
        return try runCommand(binary, [
            "--headless", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors", "--no-first-run",
            "--user-data-dir=\(profile)", "--window-size=\(windowSize)",
        ] + arguments)
    }

    /// The page's DOM once it loaded and its scripts ran. With a budget, virtual time stands
    /// still while a request is open, so the dump waits for a live stream to end — only for
    /// streams that do end (a rollout's).
    func dom(_ url: String, waitingForStreamsWithBudget budget: Int? = nil) throws -> String {
        let result = try run((budget.map { ["--virtual-time-budget=\($0)"] } ?? []) + ["--dump-dom", url])
        guard result.status == 0 else { throw ShoalError(.internalError, "chromium failed on \(url): \(result.stderr)") }
        return result.stdout
    }

    /// Saves a PNG of the page as `name`.png and returns its path.
    @discardableResult
    func screenshot(_ url: String, name: String, windowSize: String = "1280,900") throws -> String {
        try FileManager.default.createDirectory(atPath: Self.screenshotDirectory, withIntermediateDirectories: true)
        let path = Self.screenshotDirectory + "/\(name).png"
        let result = try run(["--screenshot=\(path)", url], windowSize: windowSize)
        guard result.status == 0, FileManager.default.fileExists(atPath: path) else {
            throw ShoalError(.internalError, "chromium made no screenshot of \(url): \(result.stderr)")
        }
        return path
    }
}
