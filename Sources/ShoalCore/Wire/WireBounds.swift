import Foundation

/// Checks on what a node reports, shared by the coordinator (which refuses a report outside
/// them with `request.invalid_argument`) and the fuzz harnesses. A node is trusted with its
/// own identity only: what it says about itself is shown to operators and stored, so it
/// must be small, finite and printable.
public struct WireBounds {
    /// The path of the field being checked, for the error message (`facts.disks[2].mount`).
    let field: String

    public init(_ field: String) { self.field = field }

    public func child(_ name: String) -> WireBounds { WireBounds(field + "." + name) }
    public func element(_ index: Int) -> WireBounds { WireBounds(field + "[\(index)]") }

    public func fail(_ why: String) -> ShoalError {
        ShoalError(.invalidArgument, "\(field): \(why)")
    }

    /// Printable text of at most `max` characters: no control or format characters (they
    /// split log lines and rewrite terminals).
    public func text(_ value: String, max: Int) throws {
        guard value.utf8.count <= max * 4, value.count <= max else { throw fail("longer than \(max) characters") }
        if value.unicodeScalars.contains(where: Self.isControl) {
            throw fail("contains control characters")
        }
    }

    public func text(_ value: String?, max: Int) throws {
        if let value { try text(value, max: max) }
    }

    public func count<C: Collection>(_ value: C, max: Int) throws {
        guard value.count <= max else { throw fail("more than \(max) entries") }
    }

    public func number(_ value: Double, in range: ClosedRange<Double>) throws {
        guard value.isFinite, range.contains(value) else { throw fail("\(value) is outside \(range.lowerBound)...\(range.upperBound)") }
    }

    public func number(_ value: Double?, in range: ClosedRange<Double>) throws {
        if let value { try number(value, in: range) }
    }

    public func integer<I: BinaryInteger>(_ value: I, in range: ClosedRange<Int64>) throws {
        guard let wide = Int64(exactly: value), range.contains(wide) else { throw fail("\(value) is outside \(range.lowerBound)...\(range.upperBound)") }
    }

    public func integer<I: BinaryInteger>(_ value: I?, in range: ClosedRange<Int64>) throws {
        if let value { try integer(value, in: range) }
    }

    /// C0 and C1 controls, DEL, and Unicode format characters (bidi overrides, zero-width).
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        let category = scalar.properties.generalCategory
        return category == .control || category == .format
    }
}

/// A hostname a node reports: what DNS and `hostname(1)` allow, nothing that could be read as
/// a path, an option or a terminal escape.
public enum HostnameText {
    public static let characters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")

    public static func validate(_ name: String, field: String = "hostname") throws {
        guard !name.isEmpty, name.count <= 253, name.allSatisfy(characters.contains), !name.hasPrefix("-"), !name.hasPrefix(".") else {
            throw ShoalError(.invalidArgument, "\(field) \(name.prefix(300).debugDescription) is not a hostname: 1-253 letters, digits, '-', '_' and '.', not starting with '-' or '.'")
        }
    }
}
