import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Query parameters of the planning endpoints, checked together.
struct PlanningQuery {
    var errors: [FieldError] = []
    let request: Request

    mutating func int(_ name: String) -> Int? {
        guard let raw = try? request.query.get(String.self, at: name), !raw.isEmpty else { return nil }
        guard let value = Int(raw) else { errors.append(FieldError(name, .invalid)); return nil }
        return value
    }

    mutating func date(_ name: String) -> Date? { request.dateQuery(name, into: &errors) }

    func check() throws { if !errors.isEmpty { throw ZayavkaError.validation(errors) } }
}
