import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import ShoalCore

/// Runs a `HealthProbeSpec`: an HTTP request (status, body contains), a TCP connect, or a
/// command. Used by the `health_check` step and by the agent's recurring node checks.
public struct HealthProbe: Sendable {
    public typealias HTTP = HealthProbeSpec.HTTP
    public typealias TCP = HealthProbeSpec.TCP

    public var spec: HealthProbeSpec
    public init(spec: HealthProbeSpec) { self.spec = spec }

    public var kindName: String { spec.kindName }

    /// Nil when healthy; otherwise what was wrong, in one line.
    public func probe(outputPrefix: String) async -> String? {
        let timeout = Duration.milliseconds(Int((spec.timeoutSeconds ?? 5) * 1000))
        if let http = spec.http { return await probe(http, timeout: timeout) }
        if let tcp = spec.tcp { return await probe(tcp, timeout: timeout) }
        if let command = spec.command { return await probe(command, timeout: timeout, outputPrefix: outputPrefix) }
        return "no probe configured"
    }

    func probe(_ http: HTTP, timeout: Duration) async -> String? {
        do {
            let request = HTTPClientRequest(url: http.url)
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)))
            let body = try await response.body.collect(upTo: 1 << 20)
            let code = Int(response.status.code)
            if let expected = http.status, code != expected { return "\(http.url) answered \(code), expected \(expected)" }
            if http.status == nil, !(200..<300).contains(code) { return "\(http.url) answered \(code)" }
            if let needle = http.bodyContains, !String(buffer: body).contains(needle) {
                return "\(http.url) answered \(code) but the body does not contain '\(needle)'"
            }
            return nil
        } catch {
            return "\(http.url): \(error)"
        }
    }

    func probe(_ tcp: TCP, timeout: Duration) async -> String? {
        guard let (host, port) = HealthProbeSpec.split(tcp.address) else { return "bad address \(tcp.address)" }
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(Int64(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)))
                .connect(host: host, port: port).get()
            try? await channel.close()
            return nil
        } catch let error as NIOConnectionError {
            let reason = error.connectionErrors.first.map { Self.describe($0.error) } ?? "the name does not resolve"
            return "cannot connect to \(tcp.address): \(reason)"
        } catch {
            return "cannot connect to \(tcp.address): \(Self.describe(error))"
        }
    }

    func probe(_ command: CommandStepParams, timeout: Duration, outputPrefix: String) async -> String? {
        let executable = command.argv?.first.map { $0.hasPrefix("/") ? $0 : "/usr/bin/env" } ?? "/bin/sh"
        var arguments: [String]
        if let argv = command.argv {
            arguments = argv.first?.hasPrefix("/") == true ? Array(argv.dropFirst()) : argv
        } else {
            arguments = ["-c", command.script ?? "true"]
        }
        let request = ProcessRunner.Request(
            executable: executable, arguments: arguments, environment: command.env ?? [:], workingDirectory: command.workingDirectory,
            timeout: timeout, outputPrefix: outputPrefix
        )
        do {
            let outcome = try await ProcessRunner().run(request)
            if outcome.timedOut { return "the command did not finish within \(timeout.formattedSeconds)" }
            guard outcome.exitCode == 0 else {
                let said = (outcome.stderr.head.isEmpty ? outcome.stdout.head : outcome.stderr.head).split(separator: "\n").first.map(String.init) ?? ""
                return "the command exited \(outcome.exitCode.map(String.init) ?? "by signal")\(said.isEmpty ? "" : ": " + said)"
            }
            return nil
        } catch {
            return "could not start the command: \(error)"
        }
    }

    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
        if error is ChannelError { return "timed out" }
        return "\(error)"
    }

}
