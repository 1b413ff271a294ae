import Foundation
import Vapor
import ZayavkaCore

/// Screens what every request carries in its URL before any route sees it, API and web alike: a
/// control character in a query value (a NUL gave 500 on PostgreSQL and was stored on SQLite) is
/// refused with 422 naming the parameter, and one in the path (an id or key) is simply not found.
struct InputScreeningMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let rawPath = request.url.path
        if rawPath.contains("%") || rawPath.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            guard let decoded = rawPath.removingPercentEncoding, !TextInput.hasForbiddenControl(decoded, multiline: false) else {
                throw ZayavkaError.notFound(entity: "route", id: "…")
            }
        }
        var errors: [FieldError] = []
        let pairs = try EndpointInput.queryPairs(request)
        request.screenedQuery = pairs
        for (name, value) in pairs where TextInput.hasForbiddenControl(value, multiline: false) {
            errors.append(FieldError(String(name.prefix(100)), .controlCharacters))
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        return try await next.respond(to: request)
    }
}

extension Request {
    private struct ScreenedQueryKey: StorageKey { typealias Value = [(String, String)] }

    /// The query pairs the middleware parsed and screened (no control characters), so an endpoint's
    /// typed checks do not parse the query a second time.
    var screenedQuery: [(String, String)]? {
        get { storage[ScreenedQueryKey.self] }
        set { storage[ScreenedQueryKey.self] = newValue }
    }
}
