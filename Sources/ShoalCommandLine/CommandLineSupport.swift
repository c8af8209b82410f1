import ArgumentParser
import Foundation
import Logging
import ShoalCore

/// What both programs' command lines share: the logger they make and how they report errors.
public enum CommandLineSupport {
    /// A logger at `SHOAL_LOG_LEVEL` (trace … critical), `info` by default.
    public static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = ProcessInfo.processInfo.environment["SHOAL_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        return logger
    }

    /// Runs a command body; a `ShoalError` becomes one line on stderr with its code and exit
    /// status 1 (2 for a bad argument), instead of a dump of Swift types.
    public static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ShoalError {
            throw ExitCode(error.reportOnStandardError())
        }
    }
}
