import Foundation
import Vapor
import ZayavkaCore

// The API's own types (records are not DTOs). Keys are snake_case, written out in CodingKeys so
// that map keys such as intake field names are never rewritten by a key strategy.

extension KeyedDecodingContainer {
    /// PATCH semantics: nil when the key is absent, `.some(nil)` when it is JSON null.
    func patch<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T?? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) { return .some(nil) }
        return .some(try decode(T.self, forKey: key))
    }
}
