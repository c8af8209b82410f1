import Foundation

/// A node selector as operators type it: terms joined by commas, all of which must hold.
///
/// ```
/// role=compute            env!=prod             role in (miner,executor)
/// gpu.count>=1            os.release=22.04      role notin (test)
/// ```
/// A key names a label, or else a fact (`SelectorFacts`). Comparisons with `<`, `<=`, `>`,
/// `>=` are numeric; `=`/`!=` compare numbers numerically and anything else as text.
/// A key the node does not have matches only `!=` and `notin`.
public struct NodeSelector: Sendable, Equatable, CustomStringConvertible {
    public enum Operator: String, Sendable, Equatable {
        case equal = "=", notEqual = "!=", greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="
        case `in`, notIn = "notin"
    }

    public struct Term: Sendable, Equatable, CustomStringConvertible {
        public var key: String
        public var op: Operator
        public var values: [String]

        public var description: String {
            switch op {
            case .in, .notIn: "\(key) \(op.rawValue) (\(values.joined(separator: ",")))"
            default: "\(key)\(op.rawValue)\(values.first ?? "")"
            }
        }
    }

    public var terms: [Term]

    /// The empty selector: every node.
    public static let all = NodeSelector(terms: [])

    public init(terms: [Term]) { self.terms = terms }

    /// Parses a selector; errors are `request.invalid_argument` naming the position and what was expected.
    public init(parsing text: String) throws {
        var parser = SelectorParser(text: text)
        self.terms = try parser.parse()
    }

    public var description: String { terms.isEmpty ? "(all nodes)" : terms.map(\.description).joined(separator: ",") }

    /// True when every term holds for a node whose attributes `lookup` returns.
    public func matches(_ lookup: (String) -> String?) -> Bool {
        terms.allSatisfy { $0.matches(lookup($0.key)) }
    }
}

extension NodeSelector.Term {
    func matches(_ actual: String?) -> Bool {
        guard let actual else { return op == .notEqual || op == .notIn }
        switch op {
        case .equal: return Self.equal(actual, values[0])
        case .notEqual: return !Self.equal(actual, values[0])
        case .in: return values.contains { Self.equal(actual, $0) }
        case .notIn: return !values.contains { Self.equal(actual, $0) }
        case .greater, .greaterOrEqual, .less, .lessOrEqual:
            guard let left = Double(actual), let right = Double(values[0]) else { return false }
            switch op {
            case .greater: return left > right
            case .greaterOrEqual: return left >= right
            case .less: return left < right
            default: return left <= right
            }
        }
    }

    static func equal(_ left: String, _ right: String) -> Bool {
        // 22.04 and 22.04 as text; 1 and 1.0 as numbers. Versions like 22.04 vs 22.4 stay text.
        if left == right { return true }
        if let l = Double(left), let r = Double(right), !left.contains("."), !right.contains(".") { return l == r }
        return false
    }
}

/// A small hand-written parser: the grammar is five lines and a library would be more code.
struct SelectorParser {
    let text: String
    var characters: [Character]
    var position = 0

    init(text: String) {
        self.text = text
        self.characters = Array(text)
    }

    mutating func parse() throws -> [NodeSelector.Term] {
        var terms: [NodeSelector.Term] = []
        skipSpaces()
        if position == characters.count { return [] }
        while true {
            terms.append(try term())
            skipSpaces()
            if position == characters.count { return terms }
            guard characters[position] == "," else { throw error("expected ',' between terms") }
            position += 1
        }
    }

    mutating func term() throws -> NodeSelector.Term {
        skipSpaces()
        let key = word()
        guard !key.isEmpty else { throw error("expected a label or fact name") }
        skipSpaces()
        let save = position
        let keyword = word().lowercased()
        if keyword == "in" || keyword == "notin" {
            return NodeSelector.Term(key: key, op: keyword == "in" ? .in : .notIn, values: try valueList())
        }
        position = save
        guard let op = symbolOperator() else { throw error("expected an operator (=, !=, >, >=, <, <=, in, notin) after '\(key)'") }
        skipSpaces()
        let value = word()
        guard !value.isEmpty else { throw error("expected a value after '\(key)\(op.rawValue)'") }
        if [.greater, .greaterOrEqual, .less, .lessOrEqual].contains(op), Double(value) == nil {
            throw error("'\(op.rawValue)' compares numbers, but '\(value)' is not a number")
        }
        return NodeSelector.Term(key: key, op: op, values: [value])
    }

    mutating func valueList() throws -> [String] {
        skipSpaces()
        guard position < characters.count, characters[position] == "(" else { throw error("expected '(' to start the value list") }
        position += 1
        var values: [String] = []
        while true {
            skipSpaces()
            let value = word()
            guard !value.isEmpty else { throw error("expected a value in the list") }
            values.append(value)
            skipSpaces()
            guard position < characters.count else { throw error("the value list is not closed with ')'") }
            if characters[position] == ")" { position += 1; return values }
            guard characters[position] == "," else { throw error("expected ',' or ')' in the value list") }
            position += 1
        }
    }

    mutating func symbolOperator() -> NodeSelector.Operator? {
        for candidate in [">=", "<=", "!=", "==", "=", ">", "<"] {
            let end = position + candidate.count
            if end <= characters.count, String(characters[position..<end]) == candidate {
                position = end
                return candidate == "==" ? .equal : NodeSelector.Operator(rawValue: candidate)
            }
        }
        return nil
    }

    static let wordCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:+@")

    mutating func word() -> String {
        let start = position
        while position < characters.count, Self.wordCharacters.contains(characters[position]) { position += 1 }
        return String(characters[start..<position])
    }

    mutating func skipSpaces() {
        while position < characters.count, characters[position] == " " { position += 1 }
    }

    func error(_ what: String) -> ShoalError {
        ShoalError(.invalidArgument, "selector '\(text)': \(what) at column \(position + 1)")
    }
}
