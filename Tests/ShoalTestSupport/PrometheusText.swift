import Foundation

/// The samples of a Prometheus text exposition, read back for tests that check a scrape's
/// values: `name{label="value",...} number` lines; comments and blank lines are skipped.
public struct PrometheusText: Sendable {
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public let samples: [Sample]
    /// `# HELP` and `# TYPE` lines by metric name.
    public let help: [String: String]
    public let types: [String: String]

    public init(_ text: String) throws {
        var samples: [Sample] = []
        var help: [String: String] = [:]
        var types: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
                guard parts.count == 2 else { throw ParseError(line: String(line)) }
                if line.hasPrefix("# HELP ") { help[String(parts[0])] = String(parts[1]) } else { types[String(parts[0])] = String(parts[1]) }
                continue
            }
            if line.hasPrefix("#") { continue }
            samples.append(try Self.sample(Substring(line)))
        }
        self.samples = samples
        self.help = help
        self.types = types
    }

    /// Samples named `name` whose labels include every pair of `labels`.
    public func samples(_ name: String, _ labels: [String: String] = [:]) -> [Sample] {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
    }

    /// The value of the one sample that matches, nil when none or several do.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let found = samples(name, labels)
        return found.count == 1 ? found[0].value : nil
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var line: String
        public var description: String { "not a Prometheus sample line: \(line)" }
    }

    private static func sample(_ line: Substring) throws -> Sample {
        var rest = line[...]
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = String(rest[..<nameEnd])
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let equals = rest.firstIndex(of: "=") else { throw ParseError(line: String(line)) }
                let key = String(rest[..<equals]).trimmingCharacters(in: CharacterSet(charactersIn: ", "))
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { throw ParseError(line: String(line)) }
                rest = rest.dropFirst()
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\", let escaped = rest.first {
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                }
                guard !rest.isEmpty else { throw ParseError(line: String(line)) }
                rest = rest.dropFirst()
                labels[key] = value
                if rest.first == "," { rest = rest.dropFirst() }
                guard !rest.isEmpty else { throw ParseError(line: String(line)) }
            }
            rest = rest.dropFirst()
        }
        let fields = rest.split(separator: " ")
        guard let first = fields.first, let value = Double(first) ?? (first == "+Inf" ? .infinity : nil) else {
            throw ParseError(line: String(line))
        }
        return Sample(name: name, labels: labels, value: value)
    }
}
