import Foundation

/// An `Encoder` whose keyed containers write `null` for `encodeIfPresent(nil, …)`, which is
/// what the synthesized `Encodable` of every optional property calls.
struct NullKeepingEncoder: Encoder {
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// What this encoder's one container writes into.
    let target: Box

    init(codingPath: [any CodingKey], into target: Box) {
        self.codingPath = codingPath
        self.target = target
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        target.isObject = true
        return KeyedEncodingContainer(KeyedContainer<Key>(box: target, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        target.isArray = true
        return UnkeyedContainer(box: target, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleContainer(box: target, codingPath: codingPath)
    }

    /// A JSON tree kept exact: integers stay integers (a `sequence` above 2^53 is not rounded).
    enum Value: Encodable {
        case null
        case bool(Bool)
        case int(Int64)
        case uint(UInt64)
        case double(Double)
        case string(String)
        case array([Value])
        case object([String: Value])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            case .uint(let value): try container.encode(value)
            case .double(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            case .array(let value): try container.encode(value)
            case .object(let value): try container.encode(value)
            }
        }
    }

    /// Where one container writes: a reference, so nested containers fill their parent in place.
    final class Box {
        var value: Value?
        var children: [String: Box] = [:]
        var items: [Box] = []
        var isObject = false
        var isArray = false

        /// The finished tree below this box.
        var resolved: Value {
            if isObject { return .object(children.mapValues(\.resolved)) }
            if isArray { return .array(items.map(\.resolved)) }
            return value ?? .null
        }
    }

    /// Encodes `value` into `box`: dates as wire timestamps, leaves directly, the rest through
    /// their own `encode(to:)`.
    static func encode<T: Encodable>(_ value: T, into box: Box, codingPath: [any CodingKey]) throws {
        switch value {
        case let date as Date: box.value = .string(Timestamp.format(date))
        case let data as Data: box.value = .string(data.base64EncodedString())
        case let url as URL: box.value = .string(url.absoluteString)
        case let text as String: box.value = .string(text)
        case let flag as Bool: box.value = .bool(flag)
        case let number as Double: box.value = .double(number)
        case let number as Float: box.value = .double(Double(number))
        case let number as Int: box.value = .int(Int64(number))
        case let number as Int64: box.value = .int(number)
        case let number as Int32: box.value = .int(Int64(number))
        case let number as UInt64: box.value = .uint(number)
        case let number as UInt32: box.value = .uint(UInt64(number))
        case let number as UInt: box.value = .uint(UInt64(number))
        default: try value.encode(to: NullKeepingEncoder(codingPath: codingPath, into: box))
        }
    }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let box: Box
        var codingPath: [any CodingKey]

        private func child(_ key: Key) -> Box {
            let child = Box()
            box.children[key.stringValue] = child
            return child
        }

        mutating func encodeNil(forKey key: Key) throws { child(key).value = .null }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try NullKeepingEncoder.encode(value, into: child(key), codingPath: codingPath + [key])
        }

        // The point of this encoder: an absent optional is written as null, not left out.
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
            guard let value else { return try encodeNil(forKey: key) }
            try encode(value, forKey: key)
        }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try keep(value, key) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try keep(value, key) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try keep(value, key) }
        mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try keep(value, key) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try keep(value, key) }
        mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try keep(value, key) }
        mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try keep(value, key) }
        mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try keep(value, key) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try keep(value, key) }
        mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try keep(value, key) }
        mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try keep(value, key) }
        mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try keep(value, key) }
        mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try keep(value, key) }
        mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try keep(value, key) }

        private mutating func keep<T: Encodable>(_ value: T?, _ key: Key) throws {
            guard let value else { return try encodeNil(forKey: key) }
            try encode(value, forKey: key)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let child = child(key)
            child.isObject = true
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: child, codingPath: codingPath + [key]))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let child = child(key)
            child.isArray = true
            return UnkeyedContainer(box: child, codingPath: codingPath + [key])
        }

        mutating func superEncoder() -> any Encoder { NullKeepingEncoder(codingPath: codingPath, into: box) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { NullKeepingEncoder(codingPath: codingPath + [key], into: child(key)) }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let box: Box
        var codingPath: [any CodingKey]
        var count: Int { box.items.count }

        private func next() -> Box {
            let item = Box()
            box.items.append(item)
            return item
        }

        mutating func encodeNil() throws { next().value = .null }

        mutating func encode<T: Encodable>(_ value: T) throws {
            try NullKeepingEncoder.encode(value, into: next(), codingPath: codingPath)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let item = next()
            item.isObject = true
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: item, codingPath: codingPath))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let item = next()
            item.isArray = true
            return UnkeyedContainer(box: item, codingPath: codingPath)
        }

        mutating func superEncoder() -> any Encoder { NullKeepingEncoder(codingPath: codingPath, into: next()) }
    }

    struct SingleContainer: SingleValueEncodingContainer {
        let box: Box
        var codingPath: [any CodingKey]

        mutating func encodeNil() throws { box.value = .null }

        mutating func encode<T: Encodable>(_ value: T) throws {
            try NullKeepingEncoder.encode(value, into: box, codingPath: codingPath)
        }
    }
}
