import Foundation
import Vapor
import ZayavkaCore

/// The problems list's query parameters, checked together: an unknown status, kind or sort is a
/// 422 naming it, not an empty list.
enum ProblemFilterQuery {
    static func parse(_ request: Request) throws -> ProblemService.Filter {
        var filter = ProblemService.Filter()
        var errors: [FieldError] = []
        if let raw = request.query[String.self, at: "status"], !raw.isEmpty {
            for piece in raw.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !piece.isEmpty {
                if let status = ProblemStatus(rawValue: piece) { filter.status.append(status) } else {
                    errors.append(FieldError("status", .unknownValue, ProblemStatus.allCases.map(\.rawValue).joined(separator: ", ")))
                }
            }
        }
        if let raw = request.query[String.self, at: "kind"], !raw.isEmpty {
            if let kind = ProblemKind(rawValue: raw) { filter.kind = kind } else {
                errors.append(FieldError("kind", .unknownValue, ProblemKind.allCases.map(\.rawValue).joined(separator: ", ")))
            }
        }
        if let raw = request.query[String.self, at: "sort"], !raw.isEmpty {
            if let sort = ProblemPopularity.SortKey(rawValue: raw) { filter.sort = sort } else {
                errors.append(FieldError("sort", .unknownValue, ProblemPopularity.SortKey.allCases.map(\.rawValue).joined(separator: ", ")))
            }
        }
        if let raw = request.query[String.self, at: "limit"], !raw.isEmpty {
            if let limit = Int(raw) { filter.limit = limit } else { errors.append(FieldError("limit", .invalid)) }
        }
        filter.query = request.query[String.self, at: "q"]
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        return filter
    }
}

extension Request {
    /// The `{number}` of a problem path: 101 or P-101; anything else is a problem not found.
    func problemNumber() throws -> Int {
        guard let raw = parameters.get("number"), let number = ProblemNumber.parse(raw) else {
            throw ZayavkaError.notFound(entity: "problem", id: parameters.get("number") ?? "")
        }
        return number
    }
}
