import Foundation
import PostgresNIO

/// Turns a store record (Encodable, columns named by its properties) into column names and
/// bound values, for the generic INSERT and UPDATE of `PostgresTransaction`. Only the value
/// kinds the records hold are supported: text, integers, doubles, booleans, dates, and
/// single-value enums; anything else is a programming error reported as such.
struct PostgresRowEncoder {
    enum Value: Sendable {
        case text(String), integer(Int64), double(Double), boolean(Bool), date(Date), null

        func bind(into binds: inout PostgresBindings) {
            switch self {
            case .text(let value): binds.append(value)
            case .integer(let value): binds.append(value)
            case .double(let value): binds.append(value)
            case .boolean(let value): binds.append(value)
            case .date(let value): binds.append(value)
            case .null: binds.appendNull()
            }
        }
    }

    /// The record's columns in declaration order, nil properties as `.null`.
    static func columns(of record: some Encodable) throws -> [(name: String, value: Value)] {
        let storage = Storage()
        try record.encode(to: RecordEncoder(storage: storage))
        return storage.columns
    }

    final class Storage {
        var columns: [(name: String, value: Value)] = []
    }

    struct RecordEncoder: Encoder {
        let storage: Storage
        var codingPath: [any CodingKey] = []
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            KeyedEncodingContainer(Columns<Key>(storage: storage))
        }
        func unkeyedContainer() -> any UnkeyedEncodingContainer { fatalError("a store record is a keyed value") }
        func singleValueContainer() -> any SingleValueEncodingContainer { fatalError("a store record is a keyed value") }
    }

    struct Columns<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let storage: Storage
        var codingPath: [any CodingKey] { [] }

        private func put(_ key: Key, _ value: Value) { storage.columns.append((key.stringValue, value)) }

        mutating func encodeNil(forKey key: Key) throws { put(key, .null) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { put(key, .boolean(value)) }
        mutating func encode(_ value: String, forKey key: Key) throws { put(key, .text(value)) }
        mutating func encode(_ value: Double, forKey key: Key) throws { put(key, .double(value)) }
        mutating func encode(_ value: Int, forKey key: Key) throws { put(key, .integer(Int64(value))) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { put(key, .integer(value)) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { put(key, .integer(Int64(value))) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            if let date = value as? Date { return put(key, .date(date)) }
            let single = SingleValue()
            try value.encode(to: single)
            guard let encoded = single.value else {
                throw EncodingError.invalidValue(value, .init(codingPath: [key], debugDescription: "\(T.self) is not one column value"))
            }
            put(key, encoded)
        }

        // Synthesized Codable calls encodeIfPresent for optionals; nil must still be a column
        // (an UPDATE sets it to NULL).
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
            guard let value else { return put(key, .null) }
            try encode(value, forKey: key)
        }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { put(key, value.map(Value.text) ?? .null) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { put(key, value.map { .integer(Int64($0)) } ?? .null) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { put(key, value.map(Value.integer) ?? .null) }
        mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { put(key, value.map { .integer(Int64($0)) } ?? .null) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { put(key, value.map(Value.double) ?? .null) }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { put(key, value.map(Value.boolean) ?? .null) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            fatalError("store records keep nested values as JSON text columns (\(key.stringValue))")
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            fatalError("store records keep lists as JSON text columns (\(key.stringValue))")
        }
        mutating func superEncoder() -> any Encoder { RecordEncoder(storage: storage) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { RecordEncoder(storage: storage) }
    }

    /// Captures the one value a raw-value enum encodes.
    final class SingleValue: Encoder, SingleValueEncodingContainer {
        var value: Value?
        var codingPath: [any CodingKey] = []
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> { fatalError("one column holds one value") }
        func unkeyedContainer() -> any UnkeyedEncodingContainer { fatalError("one column holds one value") }
        func singleValueContainer() -> any SingleValueEncodingContainer { self }

        func encodeNil() throws { value = .null }
        func encode(_ value: Bool) throws { self.value = .boolean(value) }
        func encode(_ value: String) throws { self.value = .text(value) }
        func encode(_ value: Double) throws { self.value = .double(value) }
        func encode(_ value: Int) throws { self.value = .integer(Int64(value)) }
        func encode(_ value: Int64) throws { self.value = .integer(value) }
        func encode<T: Encodable>(_ value: T) throws {
            if let date = value as? Date { self.value = .date(date) } else { try value.encode(to: self) }
        }
    }
}
