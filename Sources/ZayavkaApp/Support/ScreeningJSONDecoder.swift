import Foundation
import Vapor
import ZayavkaCore

/// The API's JSON decoder: every string of every body goes through `TextInput` on the way in,
/// whatever type it lands in. A control character (NUL breaks PostgreSQL, CR/LF becomes a mail
/// header) is refused with 422 naming the field; runs of combining marks are cut; no string may
/// exceed `FieldLimits.anyText`. Fields with tighter limits check them in their service.
struct ScreeningJSONDecoder: ContentDecoder {
    let base: JSONDecoder

    func decode<D: Decodable>(_ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders) throws -> D {
        try decode(decodable, from: body, headers: headers, userInfo: [:])
    }

    func decode<D: Decodable>(_ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders,
                              userInfo: [CodingUserInfoKey: any Sendable]) throws -> D {
        let decoder = userInfo.isEmpty ? base : {
            let copy = JSONDecoder()
            copy.dateDecodingStrategy = base.dateDecodingStrategy
            copy.userInfo = userInfo
            return copy
        }()
        return try decoder.decode(Screened<D>.self, from: Data(body.readableBytesView)).value
    }
}

/// Decodes `T` through a `ScreeningDecoder`.
private struct Screened<T: Decodable>: Decodable {
    let value: T
    init(from decoder: any Decoder) throws { value = try T(from: ScreeningDecoder(base: decoder)) }
}

/// The field a coding path names in an error: `fields.category`, `attachments.0`; `body` for the whole.
private func fieldName(_ path: [any CodingKey]) -> String {
    let field = path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    return field.isEmpty ? "body" : field
}

/// Checks one decoded string: the path names the field in the error.
private func screen(_ value: String, path: [any CodingKey]) throws -> String {
    let field = fieldName(path)
    if TextInput.hasForbiddenControl(value) { throw ZayavkaError.validation([FieldError(field, .controlCharacters)]) }
    let cleaned = TextInput.clean(value)
    if let error = TextInput.limitError(cleaned, field: field, maxCharacters: FieldLimits.anyText) {
        throw ZayavkaError.validation([error])
    }
    return cleaned
}

/// Checks one decoded date: PostgreSQL's driver traps on dates past the year 294,000, which ISO 8601
/// parsing accepts; no date a person means lies outside `DateWindow`.
private func screen(_ value: Date, path: [any CodingKey]) throws -> Date {
    guard DateWindow.contains(value) else { throw ZayavkaError.validation([FieldError(fieldName(path), .invalid, "1900…9999")]) }
    return value
}

/// Checks one decoded whole number: ids, minutes, positions and limits all lie within
/// `EndpointInput.integerRange`, so no later `minutes * 60` or `position + 10` can overflow.
private func screen(_ value: Int, path: [any CodingKey]) throws -> Int {
    guard EndpointInput.integerRange.contains(value) else { throw ZayavkaError.validation([FieldError(fieldName(path), .invalid)]) }
    return value
}

/// Types the JSON decoder itself decodes with its strategies (dates as ISO 8601), passed through as they are.
private func isLeaf<T>(_ type: T.Type) -> Bool {
    type == Date.self || type == Data.self || type == URL.self || type == Decimal.self
        || type == Int.self || type == Double.self || type == Bool.self || type == Int64.self
}

private struct ScreeningDecoder: Decoder {
    let base: any Decoder
    var codingPath: [any CodingKey] { base.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { base.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(ScreeningKeyed(base: try base.container(keyedBy: type)))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { ScreeningUnkeyed(base: try base.unkeyedContainer()) }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { ScreeningSingle(base: try base.singleValueContainer()) }
}

private struct ScreeningKeyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    var base: KeyedDecodingContainer<Key>
    var codingPath: [any CodingKey] { base.codingPath }
    var allKeys: [Key] { base.allKeys }

    func contains(_ key: Key) -> Bool { base.contains(key) }
    func decodeNil(forKey key: Key) throws -> Bool { try base.decodeNil(forKey: key) }

    private func checkKey(_ key: Key) throws {
        // Map keys (intake answers, template names) are text a client chose too.
        if key.intValue == nil, TextInput.hasForbiddenControl(key.stringValue) || key.stringValue.utf8.count > 1000 {
            throw ZayavkaError.validation([FieldError((codingPath.map(\.stringValue) + ["key"]).joined(separator: "."), .controlCharacters)])
        }
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try checkKey(key)
        return try screen(try base.decode(String.self, forKey: key), path: codingPath + [key])
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try checkKey(key)
        if T.self == String.self { return try decode(String.self, forKey: key) as! T }
        if T.self == Date.self { return try screen(try base.decode(Date.self, forKey: key), path: codingPath + [key]) as! T }
        if T.self == Int.self { return try screen(try base.decode(Int.self, forKey: key), path: codingPath + [key]) as! T }
        if isLeaf(T.self) { return try base.decode(T.self, forKey: key) }
        return try T(from: ScreeningDecoder(base: try base.superDecoder(forKey: key)))
    }

    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        guard base.contains(key), try !base.decodeNil(forKey: key) else { return nil }
        return try decode(String.self, forKey: key)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard base.contains(key), try !base.decodeNil(forKey: key) else { return nil }
        return try decode(T.self, forKey: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(ScreeningKeyed<NestedKey>(base: try base.nestedContainer(keyedBy: type, forKey: key)))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        ScreeningUnkeyed(base: try base.nestedUnkeyedContainer(forKey: key))
    }

    func superDecoder() throws -> any Decoder { ScreeningDecoder(base: try base.superDecoder()) }
    func superDecoder(forKey key: Key) throws -> any Decoder { ScreeningDecoder(base: try base.superDecoder(forKey: key)) }
}

private struct ScreeningUnkeyed: UnkeyedDecodingContainer {
    var base: any UnkeyedDecodingContainer
    var codingPath: [any CodingKey] { base.codingPath }
    var count: Int? { base.count }
    var isAtEnd: Bool { base.isAtEnd }
    var currentIndex: Int { base.currentIndex }

    mutating func decodeNil() throws -> Bool { try base.decodeNil() }

    mutating func decode(_ type: String.Type) throws -> String {
        let index = currentIndex
        return try screen(try base.decode(String.self), path: codingPath + [IndexKey(intValue: index)])
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == String.self { return try decode(String.self) as! T }
        if T.self == Date.self {
            let index = currentIndex
            return try screen(try base.decode(Date.self), path: codingPath + [IndexKey(intValue: index)]) as! T
        }
        if T.self == Int.self {
            let index = currentIndex
            return try screen(try base.decode(Int.self), path: codingPath + [IndexKey(intValue: index)]) as! T
        }
        if isLeaf(T.self) { return try base.decode(T.self) }
        return try T(from: ScreeningDecoder(base: try base.superDecoder()))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(ScreeningKeyed<NestedKey>(base: try base.nestedContainer(keyedBy: type)))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { ScreeningUnkeyed(base: try base.nestedUnkeyedContainer()) }
    mutating func superDecoder() throws -> any Decoder { ScreeningDecoder(base: try base.superDecoder()) }
}

private struct ScreeningSingle: SingleValueDecodingContainer {
    let base: any SingleValueDecodingContainer
    var codingPath: [any CodingKey] { base.codingPath }

    func decodeNil() -> Bool { base.decodeNil() }
    func decode(_ type: String.Type) throws -> String { try screen(try base.decode(String.self), path: codingPath) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == String.self { return try decode(String.self) as! T }
        if T.self == Int.self { return try screen(try base.decode(Int.self), path: codingPath) as! T }
        if T.self == Date.self { return try screen(try base.decode(Date.self), path: codingPath) as! T }
        return try base.decode(T.self)
    }
}

private struct IndexKey: CodingKey {
    var stringValue: String { String(intValue ?? 0) }
    var intValue: Int?
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

/// Vapor's multipart decoder behind a boundary check: MultipartKit traps on an empty boundary, and
/// the boundary is whatever the client put in its Content-Type.
struct CheckedFormDataDecoder: ContentDecoder {
    let base = FormDataDecoder()

    func decode<D: Decodable>(_ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders) throws -> D {
        try decode(decodable, from: body, headers: headers, userInfo: [:])
    }

    func decode<D: Decodable>(_ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders,
                              userInfo: [CodingUserInfoKey: any Sendable]) throws -> D {
        guard let boundary = headers.contentType?.parameters["boundary"], (1...70).contains(boundary.utf8.count) else {
            throw ZayavkaError.validation([FieldError("boundary", .invalid)])
        }
        return try base.decode(decodable, from: body, headers: headers, userInfo: userInfo)
    }
}
