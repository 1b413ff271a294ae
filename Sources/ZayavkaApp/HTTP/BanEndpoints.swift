import Foundation
import Vapor
import ZayavkaCore

extension API {
    /// Bans (issue 19, SPEC X1): managers' decisions on ban requests, bans, changes and lifts.
    static let bans: [Endpoint] = [
        Endpoint(method: .GET, path: "/bans", operationID: "listBans", tag: "bans",
                 summary: "Bans, newest first (managers): those in force (default), expired, lifted, or all.", authenticated: true, body: .none,
                 query: [.init(name: "state", schema: .enumeration(BanService.State.allCases.map(\.rawValue)), description: "active (default), expired, lifted or all"),
                         .init(name: "limit", schema: .integer, description: "page size, 1…500 (200)")],
                 responses: [(200, "BanList"), (403, "Error"), (422, "Error")],
                 handler: json { req in
                     var errors: [FieldError] = []
                     let state = req.choice("state", BanService.State.allCases.map(\.rawValue), into: &errors).flatMap(BanService.State.init(rawValue:)) ?? .active
                     let limit = req.listLimit(fallback: 200, into: &errors)
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     return ListOf(items: try await BanService.list(state: state, limit: limit, context: try req.context), nextCursor: nil)
                 }),
        Endpoint(method: .POST, path: "/bans", operationID: "createBan", tag: "bans",
                 summary: "Ban a customer's account (`customer_id`, or `value` = its address), one address or a whole domain with its subdomains (`value`), with a reason and an optional end (managers). Every channel refuses the banned party from then on; on other instances within 2 seconds.",
                 authenticated: true, body: .json("BanInput"), query: [], responses: [(201, "Ban"), (403, "Error"), (409, "Error"), (422, "Error")],
                 handler: json(.created) { try await BanService.create(try $0.content.decode(BanInput.self), context: try $0.context) }),
        Endpoint(method: .GET, path: "/bans/{id}", operationID: "getBan", tag: "bans",
                 summary: "One ban (managers).", authenticated: true, body: .none, query: [],
                 responses: [(200, "Ban"), (403, "Error"), (404, "Error")],
                 handler: json { try await BanService.get(try $0.intParameter("id"), context: try $0.context) }),
        Endpoint(method: .PATCH, path: "/bans/{id}", operationID: "updateBan", tag: "bans",
                 summary: "Change a ban's reason or end (`permanent: true` takes the end away) (managers); a lifted ban cannot change (409).",
                 authenticated: true, body: .json("BanUpdate"), query: [], responses: [(200, "Ban"), (403, "Error"), (404, "Error"), (409, "Error"), (422, "Error")],
                 handler: json { try await BanService.update(try $0.intParameter("id"), try $0.content.decode(BanUpdate.self), context: try $0.context) }),
        Endpoint(method: .POST, path: "/bans/{id}/lift", operationID: "liftBan", tag: "bans",
                 summary: "Lift a ban with the grounds (`reason`, required) (managers); lifting a lifted ban changes nothing.",
                 authenticated: true, body: .json("BanNote"), query: [], responses: [(200, "Ban"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json { try await BanService.lift(try $0.intParameter("id"), try $0.content.decode(BanDecisionNote.self), context: try $0.context) }),
        Endpoint(method: .GET, path: "/ban-requests", operationID: "listBanRequests", tag: "bans",
                 summary: "Ban requests recorded by conduct warnings (managers): pending ones oldest first (default), or approved, declined, all newest first.",
                 authenticated: true, body: .none,
                 query: [.init(name: "status", schema: .enumeration(["pending", "approved", "declined", "all"]), description: "pending (default), approved, declined or all"),
                         .init(name: "limit", schema: .integer, description: "page size, 1…500 (200)")],
                 responses: [(200, "BanRequestList"), (403, "Error"), (422, "Error")],
                 handler: json { req in
                     var errors: [FieldError] = []
                     let status = req.choice("status", ["pending", "approved", "declined", "all"], into: &errors)
                     let limit = req.listLimit(fallback: 200, into: &errors)
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     return ListOf(items: try await BanService.requests(status: status, limit: limit, context: try req.context), nextCursor: nil)
                 }),
        Endpoint(method: .POST, path: "/ban-requests/{id}/approve", operationID: "approveBanRequest", tag: "bans",
                 summary: "Approve a pending request: the customer is banned (reason by default: the repeat offence on the ticket; optional end) (managers). 409 when decided already.",
                 authenticated: true, body: .json("BanApproval"), query: [], responses: [(201, "Ban"), (403, "Error"), (404, "Error"), (409, "Error"), (422, "Error")],
                 handler: json(.created) { try await BanService.approve(try $0.intParameter("id"), try $0.content.decode(BanApproval.self), context: try $0.context) }),
        Endpoint(method: .POST, path: "/ban-requests/{id}/decline", operationID: "declineBanRequest", tag: "bans",
                 summary: "Decline a pending request with the grounds (`reason`, required) (managers). 409 when decided already.",
                 authenticated: true, body: .json("BanNote"), query: [], responses: [(200, "BanRequest"), (403, "Error"), (404, "Error"), (409, "Error"), (422, "Error")],
                 handler: json { try await BanService.decline(try $0.intParameter("id"), try $0.content.decode(BanDecisionNote.self), context: try $0.context) }),
        Endpoint(method: .GET, path: "/load-blocks", operationID: "listLoadBlocks", tag: "bans",
                 summary: "Temporary blocks for anomalous load (managers): accounts and client addresses refused ZAYAVKA_BLOCK_AFTER times within a minute, blocked until `until`; those in force (default) or all.",
                 authenticated: true, body: .none,
                 query: [.init(name: "state", schema: .enumeration(["active", "all"]), description: "active (default) or all"),
                         .init(name: "limit", schema: .integer, description: "page size, 1…500 (200)")],
                 responses: [(200, "LoadBlockList"), (403, "Error"), (422, "Error")],
                 handler: json { req in
                     var errors: [FieldError] = []
                     let state = req.choice("state", ["active", "all"], into: &errors)
                     let limit = req.listLimit(fallback: 200, into: &errors)
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     return ListOf(items: try await LoadBlockService.list(active: state != "all", limit: limit, context: try req.context), nextCursor: nil)
                 }),
        Endpoint(method: .POST, path: "/load-blocks/{id}/unblock", operationID: "unblockLoadBlock", tag: "bans",
                 summary: "Lift a load block before its time (managers); an audit event. The party is served again at once on this instance, within 2 seconds on the others.",
                 authenticated: true, body: .none, query: [], responses: [(200, "LoadBlock"), (403, "Error"), (404, "Error")],
                 handler: json { try await LoadBlockService.unblock(try $0.intParameter("id"), context: try $0.context) }),
    ]
}

extension OpenAPIDocument {
    /// Issue 19: bans.
    static var banSchemas: [String: JSONSchema] {
        let text = JSONSchema.string
        let person = JSONSchema.ref("PersonRef")
        return [
            "BanInput": input([("scope", cases(BanScope.self)), ("customer_id", .integer), ("value", text), ("reason", text), ("ends_at", .dateTime)],
                              required: ["scope", "reason"]),
            "BanUpdate": input([("reason", text), ("ends_at", .dateTime), ("permanent", .boolean)]),
            "BanNote": input([("reason", text)], required: ["reason"]),
            "BanApproval": input([("reason", text), ("ends_at", .dateTime)]),
            "Ban": object([("id", .integer), ("scope", cases(BanScope.self)), ("customer", .nullable(person)), ("value", text), ("reason", text),
                           ("ends_at", .nullable(.dateTime)), ("state", .enumeration(["active", "expired", "lifted"])), ("created_by", .nullable(person)),
                           ("created_at", .dateTime), ("updated_at", .dateTime), ("lifted_at", .nullable(.dateTime)), ("lifted_by", .nullable(person)),
                           ("lift_reason", .nullable(text)), ("request_id", .nullable(.integer))]),
            "BanList": list("Ban"),
            "BanRequest": object([("id", .integer), ("ticket_number", .integer), ("ticket_subject", text), ("customer", person), ("customer_email", text),
                                  ("warnings", .integer), ("requested_by", .nullable(person)), ("requested_at", .dateTime),
                                  ("status", .enumeration(["pending", "approved", "declined"])), ("decided_by", .nullable(person)),
                                  ("decided_at", .nullable(.dateTime)), ("decision_note", .nullable(text)), ("ban_id", .nullable(.integer))]),
            "BanRequestList": list("BanRequest"),
            "LoadBlock": object([("id", .integer), ("scope", .enumeration(["address", "account"])), ("key", text), ("account", .nullable(person)),
                                 ("account_email", .nullable(text)), ("reason", text), ("refusals", .integer), ("created_at", .dateTime),
                                 ("until", .dateTime), ("state", .enumeration(["active", "expired", "lifted"])), ("lifted_at", .nullable(.dateTime)),
                                 ("lifted_by", .nullable(person)), ("instance", text)]),
            "LoadBlockList": list("LoadBlock"),
        ]
    }
}
