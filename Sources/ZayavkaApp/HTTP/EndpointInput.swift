import Foundation
import Vapor
import ZayavkaCore

/// Checks what every API operation receives before its handler runs, from what its `Endpoint`
/// declares: each declared query parameter must parse as its type (an id that is not a number is
/// refused, not ignored), and the body must be of the declared media type and not empty. One place,
/// so no operation can forget. The query pairs come as `InputScreeningMiddleware` parsed them for
/// every route (parsed again only where that middleware did not run).
enum EndpointInput {
    /// Integers a client may send: ids, limits, minutes. Wider values are refused before any arithmetic.
    static let integerRange: ClosedRange<Int> = -1_000_000_000_000...1_000_000_000_000

    static func check(_ endpoint: Endpoint, _ request: Request) throws {
        var errors: [FieldError] = []
        for (name, value) in try request.screenedQuery ?? queryPairs(request) {
            if TextInput.hasForbiddenControl(value, multiline: false) { errors.append(FieldError(name, .controlCharacters)); continue }
            // A search query may be pasted text: it is read up to its first 2,000 characters (SearchText.Query).
            let limit = name == "q" ? 65_536 : 4000
            if value.utf8.count > limit { errors.append(FieldError(name, .tooLong, String(limit))); continue }
            guard let declared = endpoint.query.first(where: { $0.name == name }), !value.isEmpty else { continue }
            if let error = check(value, name: name, schema: declared.schema) { errors.append(error) }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        try checkBody(endpoint.body, request)
    }

    /// The query string as name/value pairs, percent-decoded; a malformed escape is refused.
    static func queryPairs(_ request: Request) throws -> [(String, String)] {
        guard let query = request.url.query, !query.isEmpty else { return [] }
        var pairs: [(String, String)] = []
        for piece in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ raw: Substring) throws -> String {
                let spaced = raw.replacingOccurrences(of: "+", with: " ")
                guard let decoded = spaced.removingPercentEncoding else {
                    throw ZayavkaError.validation([FieldError(String(parts[0].prefix(100)), .invalid)])
                }
                return decoded
            }
            let name = try decode(parts[0])
            if TextInput.hasForbiddenControl(name, multiline: false) { throw ZayavkaError.validation([FieldError("query", .controlCharacters)]) }
            pairs.append((name, parts.count > 1 ? try decode(parts[1]) : ""))
        }
        return pairs
    }

    static func check(_ value: String, name: String, schema: JSONSchema) -> FieldError? {
        switch schema {
        case .integer:
            guard let number = Int(value), integerRange.contains(number) else { return FieldError(name, .invalid) }
        case .number:
            guard let number = Double(value), number.isFinite else { return FieldError(name, .invalid) }
        case .boolean:
            guard ["true", "false", "1", "0"].contains(value) else { return FieldError(name, .unknownValue, "true, false") }
        case .dateTime:
            guard DateWindow.parse(value) != nil else { return FieldError(name, .invalid) }
        case .date:
            guard (try? Date(value, strategy: .iso8601.year().month().day())) != nil else { return FieldError(name, .invalid) }
        case .enumeration(let allowed):
            guard allowed.contains(value) else { return FieldError(name, .unknownValue, allowed.joined(separator: ", ")) }
        case .nullable(let inner):
            return check(value, name: name, schema: inner)
        default:
            break
        }
        return nil
    }

    /// The media types each kind of body is read from.
    static func mediaTypes(_ body: Endpoint.Body) -> [String] {
        switch body {
        case .none: []
        case .json: ["application/json"]
        case .text: ["text/plain"]
        case .csv: ["text/csv", "text/plain", "application/csv", "application/vnd.ms-excel", "application/octet-stream"]
        case .message: ["message/rfc822", "text/plain", "application/octet-stream"]
        case .upload: ["multipart/form-data", "application/octet-stream"]
        case .image: ["image/png", "image/jpeg", "image/gif", "image/webp", "application/octet-stream"]
        }
    }

    private static func checkBody(_ body: Endpoint.Body, _ request: Request) throws {
        let accepted = mediaTypes(body)
        guard !accepted.isEmpty else { return }
        guard let type = request.headers.contentType else {
            // Files, CSV, messages and text are read as bytes whatever they are called; JSON must say it is JSON.
            if case .json = body { throw ZayavkaError.unsupportedMediaType(expected: accepted[0]) }
            return
        }
        let name = "\(type.type)/\(type.subType)".lowercased()
        // Upload bodies may come with any file type as application/octet-stream's stand-in.
        if case .upload = body, type.type != "multipart" { return }
        guard accepted.contains(name) else { throw ZayavkaError.unsupportedMediaType(expected: accepted[0]) }
        if case .json = body {
            let bytes = request.body.data?.readableBytes ?? 0
            if bytes == 0 { throw ZayavkaError.validation([FieldError("body", .required)]) }
        }
    }
}
