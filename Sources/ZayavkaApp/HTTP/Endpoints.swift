import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// One API operation: how it is routed and how it is documented, in one value, so the OpenAPI
/// document cannot drift from what the server does.
struct Endpoint: Sendable {
    enum Body: Sendable { case none, json(String), upload, text, message, csv, image }

    let method: HTTPMethod
    /// OpenAPI-style path below /api/v1, e.g. "/tickets/{number}".
    let path: String
    let operationID: String
    let tag: String
    let summary: String
    let authenticated: Bool
    let body: Body
    let query: [QueryParameter]
    /// Status → schema name (nil for no body).
    let responses: [(Int, String?)]
    /// Request headers the operation reads (documented as header parameters).
    var headers: [QueryParameter] = []
    /// Open to anonymous callers, who see less; a bearer token, when sent, is checked and used.
    var signInOptional = false
    /// Taken with a widget session's token (`WidgetAuthMiddleware`), not an API token.
    var widget = false
    let handler: @Sendable (Request) async throws -> Response

    struct QueryParameter: Sendable {
        let name: String
        let schema: JSONSchema
        let description: String
    }

    var routeComponents: [PathComponent] {
        ["api", "v1"] + path.split(separator: "/").map { piece in
            piece.hasPrefix("{") ? PathComponent.parameter(String(piece.dropFirst().dropLast())) : PathComponent.constant(String(piece))
        }
    }
}

extension Request {
    /// A whole-number path parameter; anything else is an unknown `entity` (404), never a trap.
    func intParameter(_ name: String, entity: String? = nil) throws -> Int {
        guard let raw = parameters.get(name), let value = Int(raw) else {
            throw ZayavkaError.notFound(entity: entity ?? (name == "number" ? "ticket" : "route"), id: parameters.get(name) ?? "")
        }
        return value
    }

    /// A whole-number query parameter; an invalid one adds its error.
    func intQuery(_ name: String, into errors: inout [FieldError]) -> Int? {
        guard let raw = query[String.self, at: name], !raw.isEmpty else { return nil }
        guard let value = Int(raw), EndpointInput.integerRange.contains(value) else {
            errors.append(FieldError(name, .invalid))
            return nil
        }
        return value
    }

    /// An ISO 8601 date and time from the query; an invalid one adds its error.
    func dateQuery(_ name: String, into errors: inout [FieldError]) -> Date? {
        guard let raw = query[String.self, at: name], !raw.isEmpty else { return nil }
        guard let value = DateWindow.parse(raw) else {
            errors.append(FieldError(name, .invalid, "ISO 8601"))
            return nil
        }
        return value
    }

    /// `true`/`1` or `false`/`0` from the query; anything else adds its error.
    func boolQuery(_ name: String, into errors: inout [FieldError]) -> Bool? {
        switch choice(name, ["true", "false", "1", "0"], into: &errors) {
        case "true", "1": true
        case "false", "0": false
        default: nil
        }
    }

    /// One of `allowed`, or an error.
    func choice(_ name: String, _ allowed: [String], into errors: inout [FieldError]) -> String? {
        guard let raw = query[String.self, at: name], !raw.isEmpty else { return nil }
        guard allowed.contains(raw) else {
            errors.append(FieldError(name, .unknownValue, allowed.joined(separator: ", ")))
            return nil
        }
        return raw
    }

    /// `limit` from the query: 1…`max`, `fallback` when absent or empty; an invalid one adds its error to `errors`.
    func listLimit(fallback: Int = 100, max: Int = 500, into errors: inout [FieldError]) -> Int {
        guard let raw = query[String.self, at: "limit"], !raw.isEmpty else { return fallback }
        guard let limit = Int(raw), (1...max).contains(limit) else {
            errors.append(FieldError("limit", .invalid, "1-\(max)"))
            return fallback
        }
        return limit
    }
}

func json<T: Content>(_ status: HTTPStatus = .ok, _ work: @escaping @Sendable (Request) async throws -> T) -> @Sendable (Request) async throws -> Response {
    { request in try await work(request).encodeResponse(status: status, for: request) }
}

/// For answers that make their own response: a saved item (201 or 200), a download.
func respond<T: AsyncResponseEncodable>(_ work: @escaping @Sendable (Request) async throws -> T) -> @Sendable (Request) async throws -> Response {
    { request in try await work(request).encodeResponse(for: request) }
}

extension Request {
    /// `limit` and `cursor` as the caller sent them.
    var page: PageRequest { PageRequest(limit: query[Int.self, at: "limit"], cursor: query[String.self, at: "cursor"]) }
}

extension URLQueryContainer {
    /// Every query parameter as text (the ticket list's filters); none when the query is not flat.
    var stringParameters: [String: String] { (try? decode([String: String].self)) ?? [:] }
}

let listQuery: [Endpoint.QueryParameter] = [
    .init(name: "limit", schema: .integer, description: "page size, 1…100 (25)"),
    .init(name: "cursor", schema: .string, description: "next_cursor of the previous page"),
]

/// Every operation of the REST API.
enum API {
    static let endpoints: [Endpoint] = [
        // Auth
        Endpoint(method: .POST, path: "/auth/token", operationID: "createToken", tag: "auth",
                 summary: "Sign in with email and password; returns a bearer token (shown once). A banned customer gets 403 `banned` (only with the right password).", authenticated: false,
                 body: .json("TokenRequest"), query: [], responses: [(201, "TokenCreated"), (401, "Error"), (403, "Error"), (429, "Error")],
                 handler: json(.created) { req in try await UserService.issueToken(try req.content.decode(TokenRequest.self), context: try req.context) }),
        Endpoint(method: .GET, path: "/auth/tokens", operationID: "listTokens", tag: "auth",
                 summary: "Your tokens (admins: everyone's with all=true).", authenticated: true, body: .none,
                 query: [.init(name: "all", schema: .boolean, description: "admins: every user's tokens")],
                 responses: [(200, "TokenList")], handler: json { req in try await UserService.listTokens(all: req.query[Bool.self, at: "all"] ?? false, context: try req.context) }),
        Endpoint(method: .DELETE, path: "/auth/tokens/{id}", operationID: "revokeToken", tag: "auth",
                 summary: "Revoke a token.", authenticated: true, body: .none, query: [], responses: [(204, nil), (404, "Error")],
                 handler: { req in Response(status: try await UserService.revokeToken(id: try req.intParameter("id"), context: try req.context)) }),
        Endpoint(method: .GET, path: "/me", operationID: "me", tag: "users", summary: "The signed-in user.", authenticated: true,
                 body: .none, query: [], responses: [(200, "User")],
                 handler: json { req in try await UserService.get(id: try req.viewer.userID, context: try req.context) }),

        // Users
        Endpoint(method: .GET, path: "/users", operationID: "listUsers", tag: "users", summary: "List users (staff).",
                 authenticated: true, body: .none,
                 query: listQuery + [.init(name: "role", schema: .string, description: "filter by role"),
                                     .init(name: "organization_id", schema: .integer, description: "filter by organization"),
                                     .init(name: "email", schema: .string, description: "exact email")],
                 responses: [(200, "UserList")], handler: json { req in
                     let filter = UserService.Filter(role: req.query[String.self, at: "role"], organizationID: req.query[Int.self, at: "organization_id"],
                                                     email: req.query[String.self, at: "email"])
                     return try await UserService.list(filter, page: req.page, context: try req.context)
                 }),
        Endpoint(method: .POST, path: "/users", operationID: "createUser", tag: "users",
                 summary: "Create a user (admins: any role; agents: customers).", authenticated: true, body: .json("UserInput"),
                 query: [], responses: [(201, "User"), (409, "Error"), (422, "Error")],
                 handler: json(.created) { req in try await UserService.create(try req.content.decode(UserInput.self), context: try req.context) }),
        Endpoint(method: .GET, path: "/users/{id}", operationID: "getUser", tag: "users", summary: "One user.", authenticated: true,
                 body: .none, query: [], responses: [(200, "User"), (404, "Error")],
                 handler: json { req in try await UserService.get(id: try req.intParameter("id"), context: try req.context) }),
        Endpoint(method: .POST, path: "/users/{id}/erase", operationID: "eraseUser", tag: "users",
                 summary: "Erase a customer's personal data (152-FZ, GDPR; admins): name, email, phone and their text replaced, their files and raw mail deleted, tickets and statistics kept; an audit event.",
                 authenticated: true, body: .json("ErasureInput"), query: [], responses: [(200, "Erasure"), (404, "Error"), (422, "Error")],
                 handler: json { req in
                     ErasureDTO(try await ErasureService.erase(userID: try req.intParameter("id"), reason: try req.content.decode(ErasureInput.self).reason,
                                                               context: try req.context))
                 }),
        Endpoint(method: .POST, path: "/users/{id}/legal-holds", operationID: "placeUserLegalHold", tag: "users",
                 summary: "Place a legal hold on a customer (admins): their personal data may not be erased until it is released; an audit event.",
                 authenticated: true, body: .json("LegalHoldInput"), query: [], responses: [(201, "LegalHold"), (404, "Error"), (422, "Error")],
                 handler: json(.created) { req in
                     try await LegalHoldService.place(on: .user(try req.intParameter("id")), reason: try req.content.decode(LegalHoldInput.self).reason,
                                                      context: try req.context)
                 }),
        Endpoint(method: .POST, path: "/organizations/{id}/legal-holds", operationID: "placeOrganizationLegalHold", tag: "users",
                 summary: "Place a legal hold on an organization (admins): none of its customers' personal data may be erased until it is released; an audit event.",
                 authenticated: true, body: .json("LegalHoldInput"), query: [], responses: [(201, "LegalHold"), (404, "Error"), (422, "Error")],
                 handler: json(.created) { req in
                     try await LegalHoldService.place(on: .organization(try req.intParameter("id")), reason: try req.content.decode(LegalHoldInput.self).reason,
                                                      context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/legal-holds", operationID: "listLegalHolds", tag: "users",
                 summary: "Legal holds, newest first (admins): all, only active ones, or those covering one customer (theirs and their organization's).",
                 authenticated: true, body: .none,
                 query: [.init(name: "active", schema: .boolean, description: "only holds not yet released"),
                         .init(name: "user_id", schema: .integer, description: "only holds covering this customer"),
                         .init(name: "limit", schema: .integer, description: "how many (1-500, default 100)")],
                 responses: [(200, "LegalHoldList"), (404, "Error"), (422, "Error")],
                 handler: json { req in
                     var errors: [FieldError] = []
                     let limit = req.listLimit(into: &errors)
                     let active = req.boolQuery("active", into: &errors) ?? false
                     let userID = req.intQuery("user_id", into: &errors)
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     return ListOf(items: try await LegalHoldService.list(activeOnly: active, coveringUser: userID, limit: limit,
                                                                          context: try req.context), nextCursor: nil)
                 }),
        Endpoint(method: .GET, path: "/legal-holds/{id}", operationID: "getLegalHold", tag: "users", summary: "One legal hold (admins).",
                 authenticated: true, body: .none, query: [], responses: [(200, "LegalHold"), (404, "Error")],
                 handler: json { req in try await LegalHoldService.get(id: try req.intParameter("id", entity: "legal_hold"), context: try req.context) }),
        Endpoint(method: .POST, path: "/legal-holds/{id}/release", operationID: "releaseLegalHold", tag: "users",
                 summary: "Release a legal hold (admins), saying why; it stays listed as released; an audit event.",
                 authenticated: true, body: .json("LegalHoldInput"), query: [], responses: [(200, "LegalHold"), (404, "Error"), (422, "Error")],
                 handler: json { req in
                     try await LegalHoldService.release(id: try req.intParameter("id", entity: "legal_hold"), reason: try req.content.decode(LegalHoldInput.self).reason,
                                                        context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/audit-events", operationID: "listAuditEvents", tag: "users",
                 summary: "The latest audit events (admins): who erased whose personal data, and why.", authenticated: true, body: .none,
                 query: [.init(name: "limit", schema: .integer, description: "how many, newest first (1-500, default 100)")],
                 responses: [(200, "AuditEventList")],
                 handler: json { req in
                     var errors: [FieldError] = []
                     let limit = req.listLimit(into: &errors)
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     return ListOf(items: try await AuditEvents.list(limit: limit, context: try req.context), nextCursor: nil)
                 }),
        Endpoint(method: .PATCH, path: "/users/{id}", operationID: "updateUser", tag: "users",
                 summary: "Change a user (admins), or your own profile.", authenticated: true, body: .json("UserInput"), query: [],
                 responses: [(200, "User"), (404, "Error"), (422, "Error")],
                 handler: json { req in try await UserService.update(id: try req.intParameter("id"), try req.content.decode(UserInput.self), context: try req.context) }),

        // Organizations
        Endpoint(method: .GET, path: "/organizations", operationID: "listOrganizations", tag: "directory", summary: "List organizations.",
                 authenticated: true, body: .none, query: listQuery, responses: [(200, "OrganizationList")],
                 handler: json { req in try await DirectoryService.listOrganizations(page: req.page, context: try req.context) }),
        Endpoint(method: .POST, path: "/organizations", operationID: "createOrganization", tag: "directory",
                 summary: "Create an organization.", authenticated: true, body: .json("OrganizationInput"), query: [],
                 responses: [(201, "Organization"), (422, "Error")],
                 handler: respond { req in try await DirectoryService.saveOrganization(id: nil, try req.content.decode(OrganizationInput.self), context: try req.context) }),
        Endpoint(method: .GET, path: "/organizations/{id}", operationID: "getOrganization", tag: "directory", summary: "One organization.",
                 authenticated: true, body: .none, query: [], responses: [(200, "Organization"), (404, "Error")],
                 handler: json { req in try await DirectoryService.getOrganization(id: try req.intParameter("id"), context: try req.context) }),
        Endpoint(method: .PATCH, path: "/organizations/{id}", operationID: "updateOrganization", tag: "directory",
                 summary: "Change an organization.", authenticated: true, body: .json("OrganizationInput"), query: [],
                 responses: [(200, "Organization"), (404, "Error"), (422, "Error")],
                 handler: respond { req in try await DirectoryService.saveOrganization(id: try req.intParameter("id"), try req.content.decode(OrganizationInput.self), context: try req.context) }),

        Endpoint(method: .GET, path: "/directory/search", operationID: "searchDirectory", tag: "directory",
                 summary: "One search box (staff): organizations and contacts by contract number, login, INN, name, email or phone in any spelling (+7 (913) 919-90-99, 89139199099, …); a prefix is enough. Best matches first: exact, then INN, contract, login, phone, email, domain, name.",
                 authenticated: true, body: .none,
                 query: [.init(name: "q", schema: .string, description: "what the caller said: at least 2 characters"),
                         .init(name: "limit", schema: .integer, description: "at most this many of each, 1…50 (20)")],
                 responses: [(200, "DirectorySearch"), (403, "Error")],
                 handler: json { req in
                     let limit = min(max(req.query[Int.self, at: "limit"] ?? DirectorySearchService.defaultLimit, 1), 50)
                     return try await DirectorySearchService.search(req.query[String.self, at: "q"] ?? "", limit: limit, context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/organizations/export", operationID: "exportOrganizations", tag: "directory",
                 summary: "All organizations as CSV (UTF-8 with BOM, `;`), the columns import takes.", authenticated: true, body: .none, query: [],
                 responses: [(200, "CSV"), (403, "Error")], handler: respond { try await DirectoryCSV.exportOrganizations(context: try $0.context) }),
        Endpoint(method: .POST, path: "/organizations/import", operationID: "importOrganizations", tag: "directory",
                 summary: "Create or update organizations from CSV (UTF-8 or windows-1251; `;`, `,` or tab; headings in English or Russian: name/Название, inn/ИНН, contract_number, logins, plan, contract_ends_on, quota, usage, phones, email_domains, addresses/Адреса (separated by `;` or line breaks), notes). A row matches an organization by INN, then contract number, then name. Rejected rows are listed with why; the others are saved (admins).",
                 authenticated: true, body: .csv, query: [], responses: [(200, "ImportReport"), (403, "Error"), (413, "Error"), (422, "Error")],
                 handler: json { req in try await DirectoryCSV.importOrganizations(try await Uploads.csv(req), context: try req.context) }),
        Endpoint(method: .GET, path: "/contacts/export", operationID: "exportContacts", tag: "directory",
                 summary: "All customers as CSV: email, name, phone, organization_inn, organization, locale.", authenticated: true, body: .none, query: [],
                 responses: [(200, "CSV"), (403, "Error")], handler: respond { try await DirectoryCSV.exportContacts(context: try $0.context) }),
        Endpoint(method: .POST, path: "/contacts/import", operationID: "importContacts", tag: "directory",
                 summary: "Create or update customers from CSV, matched by email; the organization by its INN or name (an unknown one rejects the row). Staff accounts are refused (admins).",
                 authenticated: true, body: .csv, query: [], responses: [(200, "ImportReport"), (403, "Error"), (413, "Error"), (422, "Error")],
                 handler: json { req in try await DirectoryCSV.importContacts(try await Uploads.csv(req), context: try req.context) }),

        // Phone
        Endpoint(method: .POST, path: "/calls", operationID: "logCall", tag: "phone",
                 summary: "Log a call (staff): on a ticket (`ticket_number`) or on a new one registered from it (`new_ticket`, channel phone, the caller's number in its phone field). `callback_at` schedules a callback.",
                 authenticated: true, body: .json("CallInput"), query: [],
                 responses: [(201, "Call"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json(.created) { req in try await PhoneService.logCall(try req.content.decode(CallInput.self), context: try req.context) }),
        Endpoint(method: .GET, path: "/tickets/{number}/calls", operationID: "listCalls", tag: "phone",
                 summary: "The ticket's calls, newest first (staff).", authenticated: true, body: .none, query: [],
                 responses: [(200, "CallList"), (403, "Error"), (404, "Error")],
                 handler: json { req in ListOf(items: try await PhoneService.calls(number: try req.intParameter("number"), context: try req.context), nextCursor: nil) }),
        Endpoint(method: .POST, path: "/tickets/{number}/callbacks", operationID: "scheduleCallback", tag: "phone",
                 summary: "Schedule a callback (staff); the number defaults to the ticket's phone, else the customer's; the agent to the ticket's assignee, else you.",
                 authenticated: true, body: .json("CallbackInput"), query: [],
                 responses: [(201, "Callback"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json(.created) { req in
                     try await PhoneService.scheduleCallback(number: try req.intParameter("number"), try req.content.decode(CallbackInput.self), context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/callbacks", operationID: "listCallbacks", tag: "phone",
                 summary: "The callback queue: pending callbacks, soonest first (staff).", authenticated: true, body: .none,
                 query: [.init(name: "due", schema: .boolean, description: "only those whose time has come"),
                         .init(name: "assignee_id", schema: .integer, description: "one agent's (and the unassigned)"),
                         .init(name: "ticket_number", schema: .integer, description: "one ticket's")],
                 responses: [(200, "CallbackList"), (403, "Error")],
                 handler: json { req in
                     ListOf(items: try await PhoneService.callbacks(due: req.query[Bool.self, at: "due"] ?? false, assigneeID: req.query[Int.self, at: "assignee_id"],
                                                                    ticketNumber: req.query[Int.self, at: "ticket_number"], context: try req.context), nextCursor: nil)
                 }),
        Endpoint(method: .POST, path: "/callbacks/{id}/attempt", operationID: "attemptCallback", tag: "phone",
                 summary: "Record a try at a callback: the call is logged, then the callback rule decides (seed 002: busy → again in 15 minutes; busy again, no answer or switched off → the rule's message is posted to the customer in their language).",
                 authenticated: true, body: .json("CallbackAttemptInput"), query: [],
                 responses: [(200, "CallbackAttempt"), (403, "Error"), (404, "Error"), (409, "Error"), (422, "Error")],
                 handler: json { req in try await PhoneService.attempt(id: try req.intParameter("id"), try req.content.decode(CallbackAttemptInput.self), context: try req.context) }),
        Endpoint(method: .DELETE, path: "/callbacks/{id}", operationID: "cancelCallback", tag: "phone",
                 summary: "Cancel a pending callback (staff).", authenticated: true, body: .none, query: [],
                 responses: [(200, "Callback"), (403, "Error"), (404, "Error"), (409, "Error")],
                 handler: json { req in try await PhoneService.cancelCallback(id: try req.intParameter("id"), context: try req.context) }),
        Endpoint(method: .GET, path: "/callback-rule", operationID: "getCallbackRule", tag: "phone",
                 summary: "The callback rule: minutes before calling again after busy, how many busy signals are retried, the message to the customer.",
                 authenticated: true, body: .none, query: [], responses: [(200, "CallbackRule"), (403, "Error")],
                 handler: json { req in
                     _ = try PhoneService.requireStaff(try req.context)
                     return try await PhoneService.callbackRule(on: req.sql)
                 }),
        Endpoint(method: .PATCH, path: "/callback-rule", operationID: "updateCallbackRule", tag: "phone",
                 summary: "Change the callback rule (admins).", authenticated: true, body: .json("CallbackRuleInput"), query: [],
                 responses: [(200, "CallbackRule"), (403, "Error"), (422, "Error")],
                 handler: json { req in try await PhoneService.saveCallbackRule(try req.content.decode(CallbackRuleInput.self), context: try req.context) }),

        // Groups
        Endpoint(method: .GET, path: "/groups", operationID: "listGroups", tag: "directory", summary: "Support lines (groups).",
                 authenticated: true, body: .none, query: [], responses: [(200, "GroupList")],
                 handler: json { try await DirectoryService.listGroups(context: try $0.context) }),
        Endpoint(method: .POST, path: "/groups", operationID: "createGroup", tag: "directory", summary: "Create a group.",
                 authenticated: true, body: .json("GroupInput"), query: [], responses: [(201, "Group"), (409, "Error"), (422, "Error")],
                 handler: respond { req in try await DirectoryService.saveGroup(id: nil, try req.content.decode(GroupInput.self), context: try req.context) }),
        Endpoint(method: .POST, path: "/groups/templates/seed002", operationID: "installSeed002Lines", tag: "directory",
                 summary: "Install seed 002's support lines (first line round robin, second line least loaded, developers, the consultation line, managers) and point each hand-off route without a group at its line (admins).",
                 authenticated: true, body: .none, query: [], responses: [(200, "GroupList"), (403, "Error")],
                 handler: json { req in
                     try req.require(.manageGroups)
                     _ = try await req.write { db in try await AssignmentService.installSeed002Lines(on: db as! any SQLDatabase) }
                     return try await DirectoryService.listGroups(context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/groups/{id}", operationID: "getGroup", tag: "directory", summary: "One group.",
                 authenticated: true, body: .none, query: [], responses: [(200, "Group"), (404, "Error")],
                 handler: json { req in try await DirectoryService.getGroup(id: try req.intParameter("id"), context: try req.context) }),
        Endpoint(method: .PATCH, path: "/groups/{id}", operationID: "updateGroup", tag: "directory", summary: "Rename or describe a group.",
                 authenticated: true, body: .json("GroupInput"), query: [], responses: [(200, "Group"), (404, "Error")],
                 handler: respond { req in try await DirectoryService.saveGroup(id: try req.intParameter("id"), try req.content.decode(GroupInput.self), context: try req.context) }),
        Endpoint(method: .PUT, path: "/groups/{id}/members/{user_id}", operationID: "addGroupMember", tag: "directory",
                 summary: "Add a staff member to a group.", authenticated: true, body: .none, query: [], responses: [(200, "Group"), (404, "Error")],
                 handler: json { req in try await DirectoryService.setMember(groupID: try req.intParameter("id"), userID: try req.intParameter("user_id"), member: true, context: try req.context) }),
        Endpoint(method: .DELETE, path: "/groups/{id}/members/{user_id}", operationID: "removeGroupMember", tag: "directory",
                 summary: "Remove a member from a group.", authenticated: true, body: .none, query: [], responses: [(200, "Group"), (404, "Error")],
                 handler: json { req in try await DirectoryService.setMember(groupID: try req.intParameter("id"), userID: try req.intParameter("user_id"), member: false, context: try req.context) }),

        // Tickets
        Endpoint(method: .POST, path: "/tickets", operationID: "createTicket", tag: "tickets",
                 summary: "File a ticket: customers for themselves, staff on behalf of a customer (requester_id or requester_email).",
                 authenticated: true, body: .json("TicketCreate"), query: [], responses: [(201, "Ticket"), (422, "Error")],
                 headers: [.init(name: IdempotencyKey.header, schema: .string,
                                 description: "Makes a repeat of this request (a timeout, a proxy's retry) return the ticket the first one made "
                                     + "instead of a second ticket: 1-255 printable ASCII characters, unique per user, kept a day. The "
                                     + "repeat answers 201 with the same ticket and `Idempotent-Replayed: true`; the same key with a "
                                     + "different body is 422.")],
                 handler: { req in
                     let context = try req.context
                     let input = try req.content.decode(TicketCreateInput.self)
                     guard let key = try IdempotencyKey.from(req, userID: try context.viewer.userID) else {
                         return try await TicketService.create(input, context: context).encodeResponse(status: .created, for: req)
                     }
                     let (ticket, replayed) = try await TicketService.create(input, idempotency: key, context: context)
                     let response = try await ticket.encodeResponse(status: .created, for: req)
                     if replayed { response.headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true") }
                     return response
                 }),
        Endpoint(method: .GET, path: "/tickets", operationID: "listTickets", tag: "tickets",
                 summary: "Tickets the caller may see, filtered, sorted, a page at a time.", authenticated: true, body: .none,
                 query: listQuery + [
                    .init(name: "status", schema: .string, description: "comma-separated status keys"),
                    .init(name: "type", schema: .string, description: "comma-separated types"),
                    .init(name: "priority", schema: .string, description: "comma-separated priorities"),
                    .init(name: "urgency", schema: .string, description: "comma-separated levels 1…4"),
                    .init(name: "channel", schema: .string, description: "comma-separated channels"),
                    .init(name: "assignee_id", schema: .string, description: "comma-separated user ids, or none"),
                    .init(name: "group_id", schema: .string, description: "comma-separated group ids, or none"),
                    .init(name: "requester_id", schema: .string, description: "comma-separated user ids"),
                    .init(name: "organization_id", schema: .string, description: "comma-separated organization ids"),
                    .init(name: "created_after", schema: .dateTime, description: "ISO 8601, inclusive"),
                    .init(name: "created_before", schema: .dateTime, description: "ISO 8601, exclusive"),
                    .init(name: "updated_after", schema: .dateTime, description: "ISO 8601, inclusive"),
                    .init(name: "updated_before", schema: .dateTime, description: "ISO 8601, exclusive"),
                    .init(name: "q", schema: .string, description: "text in the subject"),
                    .init(name: "sort", schema: .enumeration(["number", "created_at", "updated_at", "priority", "due"]),
                          description: "sort key (created_at); due: nearest SLA due time first, none last (asc only)"),
                    .init(name: "order", schema: .enumeration(["asc", "desc"]), description: "direction (desc)"),
                 ],
                 responses: [(200, "TicketList"), (422, "Error")], handler: json { req in try await TicketQueries.list(req.query.stringParameters, context: try req.context) }),
        Endpoint(method: .GET, path: "/tickets/{number}", operationID: "getTicket", tag: "tickets", summary: "One ticket by its number.",
                 authenticated: true, body: .none, query: [], responses: [(200, "Ticket"), (404, "Error")],
                 handler: json { req in try await TicketQueries.dto(number: try req.intParameter("number"), context: try req.context) }),
        Endpoint(method: .PATCH, path: "/tickets/{number}", operationID: "updateTicket", tag: "tickets",
                 summary: "Change fields and status (staff); customers only solve or reopen.", authenticated: true,
                 body: .json("TicketPatch"), query: [], responses: [(200, "Ticket"), (404, "Error"), (409, "Error"), (422, "Error")],
                 handler: json { req in try await TicketService.update(number: try req.intParameter("number"), input: try req.content.decode(TicketPatchInput.self), context: try req.context) }),
        Endpoint(method: .GET, path: "/tickets/{number}/comments", operationID: "listComments", tag: "tickets",
                 summary: "The conversation; customers get public replies only.", authenticated: true, body: .none, query: [],
                 responses: [(200, "CommentList"), (404, "Error")],
                 handler: json { req in ListOf(items: try await ConversationService.comments(number: try req.intParameter("number"), context: try req.context), nextCursor: nil) }),
        Endpoint(method: .POST, path: "/tickets/{number}/comments", operationID: "addComment", tag: "tickets",
                 summary: "Reply publicly or add an internal note (staff), with uploaded attachments.", authenticated: true,
                 body: .json("CommentInput"), query: [], responses: [(201, "Comment"), (404, "Error"), (409, "Error"), (422, "Error")],
                 handler: json(.created) { req in try await ConversationService.addComment(number: try req.intParameter("number"), input: try req.content.decode(CommentInput.self), context: try req.context) }),
        Endpoint(method: .GET, path: "/tickets/{number}/events", operationID: "listEvents", tag: "tickets",
                 summary: "The immutable history; customers see what concerns them.", authenticated: true, body: .none, query: [],
                 responses: [(200, "EventList"), (404, "Error")],
                 handler: json { req in ListOf(items: try await ConversationService.events(number: try req.intParameter("number"), context: try req.context), nextCursor: nil) }),

        Endpoint(method: .GET, path: "/tickets/{number}/sla", operationID: "listTicketSLA", tag: "tickets",
                 summary: "The ticket's SLA clocks with due times and states (staff).", authenticated: true, body: .none, query: [],
                 responses: [(200, "SLAClockList"), (403, "Error"), (404, "Error")],
                 handler: json { req in
                     try req.require(.readAllTickets)
                     let row = try await TicketQueries.load(number: try req.intParameter("number"), viewer: try req.viewer, on: try req.sql)
                     let calendars = try await req.services.sla.setup(try req.sql).calendars
                     return ListOf(items: try await SLAClocks.dto(ticketID: row.id, at: Date(), calendars: calendars, on: try req.sql), nextCursor: nil)
                 }),

        Endpoint(method: .GET, path: "/tickets/{number}/plan", operationID: "proposeWorkSlot", tag: "working time",
                 summary: "The earliest slot `minutes` of work would take in the specialist's calendar (default: the assignee) after their planned work, without booking it.",
                 authenticated: true, body: .none,
                 query: [.init(name: "minutes", schema: .integer, description: "estimated working minutes"),
                         .init(name: "user_id", schema: .integer, description: "the specialist (default: the assignee, else you)"),
                         .init(name: "not_before", schema: .dateTime, description: "not earlier than (default: now)")],
                 responses: [(200, "Plan"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json { req in
                     var query = PlanningQuery(request: req)
                     let minutes = query.int("minutes"), user = query.int("user_id"), notBefore = query.date("not_before")
                     try query.check()
                     return try await WorkloadService.propose(number: try req.intParameter("number"), minutes: minutes, userID: user,
                                                              notBefore: notBefore, context: try req.context)
                 }),
        Endpoint(method: .POST, path: "/tickets/{number}/plan", operationID: "planWork", tag: "working time",
                 summary: "Book the earliest free slot for the work and (by default) tell the customer its end as the promised solution time.",
                 authenticated: true, body: .json("PlanInput"), query: [],
                 responses: [(201, "Plan"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json(.created) { req in
                     try await WorkloadService.plan(number: try req.intParameter("number"), input: try req.content.decode(PlanInput.self), context: try req.context)
                 }),
        Endpoint(method: .DELETE, path: "/work-slots/{id}", operationID: "deleteWorkSlot", tag: "working time",
                 summary: "Remove planned work (staff).", authenticated: true, body: .none, query: [],
                 responses: [(204, nil), (403, "Error"), (404, "Error")],
                 handler: { req in
                     try await WorkloadService.deleteSlot(id: try req.intParameter("id"), context: try req.context)
                     return Response(status: .noContent)
                 }),
        Endpoint(method: .GET, path: "/workload", operationID: "getWorkload", tag: "working time",
                 summary: "Planned work and dated tasks per specialist: one person, a group's members, or all staff (default: this week, Moscow time).",
                 authenticated: true, body: .none,
                 query: [.init(name: "user_id", schema: .integer, description: "one specialist"),
                         .init(name: "group_id", schema: .integer, description: "the members of a group"),
                         .init(name: "from", schema: .dateTime, description: "start (default: this Monday 00:00 Moscow time)"),
                         .init(name: "to", schema: .dateTime, description: "end (default: a week after the start; at most 62 days)")],
                 responses: [(200, "Workload"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json { req in
                     var query = PlanningQuery(request: req)
                     let user = query.int("user_id"), group = query.int("group_id")
                     let from = query.date("from") ?? WorkloadService.week(of: Date()).0
                     let to = query.date("to") ?? from.addingTimeInterval(7 * 86400)
                     try query.check()
                     return try await WorkloadService.workload(userID: user, groupID: group, from: from, to: to, context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/sla/outcomes", operationID: "slaOutcomes", tag: "working time",
                 summary: "Targets achieved and missed per policy and metric, by when the clock stopped (staff; default: the last three weeks).",
                 authenticated: true, body: .none,
                 query: [.init(name: "from", schema: .dateTime, description: "stopped at or after"),
                         .init(name: "to", schema: .dateTime, description: "stopped before")],
                 responses: [(200, "SLAOutcomeList"), (403, "Error"), (422, "Error")],
                 handler: json { req in
                     var query = PlanningQuery(request: req)
                     let from = query.date("from"), to = query.date("to")
                     try query.check()
                     return try await SLAReport.outcomes(from: from, to: to, context: try req.context)
                 }),

        Endpoint(method: .POST, path: "/tickets/{number}/route", operationID: "routeTicket", tag: "routing",
                 summary: "Hand the ticket off along a route: its status, group and responsible, its message to the customer (in their language), the note kept internal. A paid-only route refuses a customer on the free plan (422 paid_plan_only).",
                 authenticated: true, body: .json("RouteRequest"), query: [],
                 responses: [(200, "Ticket"), (403, "Error"), (404, "Error"), (409, "Error"), (422, "Error")],
                 handler: json { req in
                     try await RoutingService.route(number: try req.intParameter("number"), try req.content.decode(RouteRequest.self), context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/tickets/{number}/checks", operationID: "listAccountChecks", tag: "routing",
                 summary: "The customer's account checks that fail: an ended contract, an exceeded quota, each with the team's next step (staff). They are the ticket's organization's or, with none, those of the organization the customer's \"contract or login\" answer names (see /account).",
                 authenticated: true, body: .none, query: [], responses: [(200, "AccountCheckList"), (403, "Error"), (404, "Error")],
                 handler: json { req in
                     ListOf(items: try await TicketAccountService.account(number: try req.intParameter("number"), context: try req.context).checks, nextCursor: nil)
                 }),
        Endpoint(method: .GET, path: "/tickets/{number}/account", operationID: "getTicketAccount", tag: "routing",
                 summary: "Whose account the ticket is on (staff): the ticket's organization, or the one the customer's \"contract or login\" answer names exactly (seed 002: check that it is correct), that answer's lookup (found, ambiguous, not_found), whether it names another organization than the ticket's, the failing checks, and whether the requester can be placed in it.",
                 authenticated: true, body: .none, query: [], responses: [(200, "TicketAccount"), (403, "Error"), (404, "Error")],
                 handler: json { req in try await TicketAccountService.account(number: try req.intParameter("number"), context: try req.context) }),
        Endpoint(method: .POST, path: "/tickets/{number}/account/place", operationID: "placeTicketRequester", tag: "routing",
                 summary: "Places the requester, not yet in an organization, and their tickets without one in the organization the \"contract or login\" answer names; recorded on the ticket, SLA due times recomputed (dispatchers, managers, admins). 422 when the ticket already has an organization or the answer names none or several.",
                 authenticated: true, body: .none, query: [], responses: [(200, "TicketAccount"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json { req in try await TicketAccountService.place(number: try req.intParameter("number"), context: try req.context) }),
        Endpoint(method: .POST, path: "/tickets/{number}/confirm-solution", operationID: "confirmSolution", tag: "tickets",
                 summary: "The customer confirms the solution («Да, решено»): recorded as a solution_confirmed event (once per solution); 409 unless the ticket is solved; staff get 403.",
                 authenticated: true, body: .none, query: [], responses: [(200, "Ticket"), (403, "Error"), (404, "Error"), (409, "Error")],
                 handler: json { req in try await SolutionConfirmation.confirm(number: try req.intParameter("number"), context: try req.context) }),
        Endpoint(method: .POST, path: "/tickets/{number}/warning", operationID: "warnCustomer", tag: "routing",
                 summary: "Seed 001's conduct remark: posts it to the customer (in their language) and records it. After an earlier warning `ban_offered` is true, and `{\"request_ban\": true}` records a request to ban the customer (staff).",
                 authenticated: true, body: .json("WarningInput"), query: [],
                 responses: [(200, "Warning"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json { req in
                     try await ConductService.warn(number: try req.intParameter("number"), try req.content.decode(WarningInput.self), context: try req.context)
                 }),
        // Known problems (SPEC P1, P2)
        Endpoint(method: .GET, path: "/problems", operationID: "listProblems", tag: "problems",
                 summary: "The known-problems backlog (staff): bugs, wishes and outages with their popularity; by popularity (sort) or newest first.",
                 authenticated: true, body: .none,
                 query: [.init(name: "status", schema: .string, description: "comma-separated: new, confirmed, planned, fixed, rejected"),
                         .init(name: "kind", schema: OpenAPIDocument.cases(ProblemKind.self), description: "bug, wish or outage"),
                         .init(name: "q", schema: .string, description: "words of the title (a ticket's subject finds its problem), or a number such as P-101"),
                         .init(name: "sort", schema: OpenAPIDocument.cases(ProblemPopularity.SortKey.self), description: "most popular first by this figure"),
                         .init(name: "limit", schema: .integer, description: "1…500 (50)")],
                 responses: [(200, "ProblemList"), (403, "Error"), (422, "Error")],
                 handler: json { req in try await ProblemService.list(try ProblemFilterQuery.parse(req), context: try req.context) }),
        Endpoint(method: .POST, path: "/problems", operationID: "createProblem", tag: "problems",
                 summary: "Register a known problem (staff); with ticket_number the ticket is linked at once and its requester told.",
                 authenticated: true, body: .json("ProblemInput"), query: [],
                 responses: [(201, "Problem"), (403, "Error"), (404, "Error"), (409, "Error"), (422, "Error")],
                 handler: json(.created) { req in try await ProblemService.create(try req.content.decode(ProblemInput.self), context: try req.context) }),
        Endpoint(method: .GET, path: "/problems/export", operationID: "exportProblems", tag: "problems",
                 summary: "The backlog with its popularity as CSV (UTF-8 with BOM, `;`), most linked first (staff).",
                 authenticated: true, body: .none, query: [], responses: [(200, "CSV"), (403, "Error")],
                 handler: respond { try await ProblemService.export(context: try $0.context) }),
        Endpoint(method: .GET, path: "/problems/{number}", operationID: "getProblem", tag: "problems",
                 summary: "One problem (by 101 or P-101). Customers see it when one of their tickets is linked: number, title, public summary and status only.",
                 authenticated: true, body: .none, query: [], responses: [(200, "Problem"), (404, "Error")],
                 handler: json { req in try await ProblemService.get(number: try req.problemNumber(), context: try req.context) }),
        Endpoint(method: .PATCH, path: "/problems/{number}", operationID: "updateProblem", tag: "problems",
                 summary: "Change a problem (staff). A new status, estimate or note is a public update: one mail to each interested party and a reply on every linked open ticket; solve_tickets with status fixed solves them.",
                 authenticated: true, body: .json("ProblemPatchInput"), query: [],
                 responses: [(200, "Problem"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json { req in
                     try await ProblemService.update(number: try req.problemNumber(), try req.content.decode(ProblemPatchInput.self), context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/problems/{number}/tickets", operationID: "listProblemTickets", tag: "problems",
                 summary: "The tickets linked to a problem (staff), newest first.", authenticated: true, body: .none, query: [],
                 responses: [(200, "ProblemTicketList"), (403, "Error"), (404, "Error")],
                 handler: json { req in try await ProblemService.tickets(number: try req.problemNumber(), context: try req.context) }),
        Endpoint(method: .GET, path: "/problems/{number}/events", operationID: "listProblemEvents", tag: "problems",
                 summary: "A problem's history (staff).", authenticated: true, body: .none, query: [],
                 responses: [(200, "ProblemEventList"), (403, "Error"), (404, "Error")],
                 handler: json { req in try await ProblemService.events(number: try req.problemNumber(), context: try req.context) }),
        Endpoint(method: .GET, path: "/me/problems", operationID: "myProblems", tag: "problems",
                 summary: "Known problems that affect me: the problems linked to my tickets (customers see the public part).",
                 authenticated: true, body: .none, query: [], responses: [(200, "ProblemList")],
                 handler: json { try await ProblemService.mine(context: try $0.context) }),
        Endpoint(method: .GET, path: "/tickets/{number}/problem", operationID: "getTicketProblem", tag: "problems",
                 summary: "The problem a ticket is linked to (404 when none).", authenticated: true, body: .none, query: [],
                 responses: [(200, "Problem"), (404, "Error")],
                 handler: json { req in
                     let number = try req.intParameter("number")
                     guard let problem = try await ProblemService.ofTicket(number: number, context: try req.context) else {
                         throw ZayavkaError.notFound(entity: "problem", id: String(number))
                     }
                     return problem
                 }),
        Endpoint(method: .PUT, path: "/tickets/{number}/problem", operationID: "linkTicketToProblem", tag: "problems",
                 summary: "Link a ticket to a problem (staff): its requester becomes an interested party and gets a public reply with the problem's number and summary. 409 when the ticket is already linked; 422 for a fixed or rejected problem.",
                 authenticated: true, body: .json("ProblemLinkInput"), query: [],
                 responses: [(200, "Problem"), (403, "Error"), (404, "Error"), (409, "Error"), (422, "Error")],
                 handler: json { req in
                     try await ProblemService.link(ticketNumber: try req.intParameter("number"), problem: try req.content.decode(ProblemLinkInput.self).problem,
                                                   context: try req.context)
                 }),
        Endpoint(method: .DELETE, path: "/tickets/{number}/problem", operationID: "unlinkTicketFromProblem", tag: "problems",
                 summary: "Unlink a ticket from its problem (staff).", authenticated: true, body: .none, query: [],
                 responses: [(204, nil), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: { req in
                     try await ProblemService.unlink(ticketNumber: try req.intParameter("number"), context: try req.context)
                     return Response(status: .noContent)
                 }),
        // Mass incidents (SPEC P3)
        Endpoint(method: .GET, path: "/failure-kinds", operationID: "listFailureKinds", tag: "incidents",
                 summary: "Failure kinds (staff): rules shaped like the critical-problem rules; requests matching one are counted by outbreak detection and linked to its active incident.",
                 authenticated: true, body: .none, query: [], responses: [(200, "CriticalRuleList"), (403, "Error")],
                 handler: json { try await RoutingService.listCriticalRules(table: .failureKinds, context: try $0.context) }),
        Endpoint(method: .POST, path: "/failure-kinds", operationID: "createFailureKind", tag: "incidents", summary: "Add a failure kind (admins).",
                 authenticated: true, body: .json("CriticalRuleInput"), query: [],
                 responses: [(201, "CriticalRule"), (403, "Error"), (409, "Error"), (422, "Error")],
                 handler: respond { req in
                     try await RoutingService.saveCriticalRule(key: nil, try req.content.decode(CriticalRuleInput.self), table: .failureKinds, context: try req.context)
                 }),
        Endpoint(method: .PATCH, path: "/failure-kinds/{key}", operationID: "updateFailureKind", tag: "incidents", summary: "Change a failure kind (admins).",
                 authenticated: true, body: .json("CriticalRuleInput"), query: [],
                 responses: [(200, "CriticalRule"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: respond { req in
                     try await RoutingService.saveCriticalRule(key: req.parameters.get("key"), try req.content.decode(CriticalRuleInput.self), table: .failureKinds,
                                                               context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/outbreak-settings", operationID: "getOutbreakSettings", tag: "incidents",
                 summary: "When requests are an outbreak (distinct customers within minutes), when managers are reminded, and the words affected customers are told (staff).",
                 authenticated: true, body: .none, query: [], responses: [(200, "OutbreakSettings"), (403, "Error")],
                 handler: json { try await IncidentService.getSettings(context: try $0.context) }),
        Endpoint(method: .PUT, path: "/outbreak-settings", operationID: "saveOutbreakSettings", tag: "incidents", summary: "Change the outbreak settings (admins).",
                 authenticated: true, body: .json("OutbreakSettingsInput"), query: [], responses: [(200, "OutbreakSettings"), (403, "Error"), (422, "Error")],
                 handler: json { req in try await IncidentService.saveSettings(try req.content.decode(OutbreakSettingsInput.self), context: try req.context) }),
        Endpoint(method: .GET, path: "/incidents", operationID: "incidentBoard", tag: "incidents",
                 summary: "Open outbreak alerts with their requests, and the active mass incidents (staff): what the red banner on agent pages shows.",
                 authenticated: true, body: .none, query: [], responses: [(200, "IncidentBoard"), (403, "Error")],
                 handler: json { try await IncidentService.board(context: try $0.context) }),
        Endpoint(method: .GET, path: "/incidents/active", operationID: "activeIncidents", tag: "incidents",
                 summary: "The active mass incidents for anyone signed in: number, the words for customers in the reader's language, the estimate.",
                 authenticated: true, body: .none, query: [], responses: [(200, "ActiveIncidentList")],
                 handler: json { try await IncidentService.current(context: try $0.context) }),
        Endpoint(method: .POST, path: "/incidents", operationID: "declareIncident", tag: "incidents",
                 summary: "Declare a mass incident (staff), from an alert or by hand: an outage problem; every matching open request linked; every affected customer told the words once. 409 when that failure kind already has an active incident or the alert is closed; 422 with no request to link. Estimate and fix: PATCH /problems/{number}.",
                 authenticated: true, body: .json("IncidentInput"), query: [],
                 responses: [(201, "Problem"), (403, "Error"), (404, "Error"), (409, "Error"), (422, "Error")],
                 handler: json(.created) { req in try await IncidentService.declare(try req.content.decode(IncidentInput.self), context: try req.context) }),
        Endpoint(method: .POST, path: "/outbreak-alerts/{id}/acknowledge", operationID: "acknowledgeOutbreakAlert", tag: "incidents",
                 summary: "Acknowledge an alert (staff): the managers are not reminded; the alert stays until declared or dismissed.",
                 authenticated: true, body: .none, query: [], responses: [(200, "OutbreakAlert"), (403, "Error"), (404, "Error"), (409, "Error")],
                 handler: json { req in try await IncidentService.acknowledge(id: try req.intParameter("id"), context: try req.context) }),
        Endpoint(method: .POST, path: "/outbreak-alerts/{id}/dismiss", operationID: "dismissOutbreakAlert", tag: "incidents",
                 summary: "Dismiss an alert as not a mass incident (staff); the requests it counted open no other alert.",
                 authenticated: true, body: .none, query: [], responses: [(204, nil), (403, "Error"), (404, "Error"), (409, "Error")],
                 handler: { req in
                     try await IncidentService.dismiss(id: try req.intParameter("id"), context: try req.context)
                     return Response(status: .noContent)
                 }),
        Endpoint(method: .GET, path: "/routes", operationID: "listRoutes", tag: "routing", summary: "Hand-off routes in order (staff).",
                 authenticated: true, body: .none, query: [], responses: [(200, "RouteList"), (403, "Error")],
                 handler: json { try await RoutingService.listRoutes(context: try $0.context) }),
        Endpoint(method: .POST, path: "/routes", operationID: "createRoute", tag: "routing", summary: "Add a route (admins).",
                 authenticated: true, body: .json("RouteInput"), query: [], responses: [(201, "Route"), (403, "Error"), (409, "Error"), (422, "Error")],
                 handler: respond { req in try await RoutingService.saveRoute(key: nil, try req.content.decode(RouteInput.self), context: try req.context) }),
        Endpoint(method: .PATCH, path: "/routes/{key}", operationID: "updateRoute", tag: "routing", summary: "Change a route (admins).",
                 authenticated: true, body: .json("RouteInput"), query: [], responses: [(200, "Route"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: respond { req in try await RoutingService.saveRoute(key: req.parameters.get("key"), try req.content.decode(RouteInput.self), context: try req.context) }),
        Endpoint(method: .GET, path: "/critical-rules", operationID: "listCriticalRules", tag: "routing",
                 summary: "Critical-problem rules: a new request matching one (by a phrase's word stems or its `category` answer) gets urgent priority and the dispatchers are told at once.",
                 authenticated: true, body: .none, query: [], responses: [(200, "CriticalRuleList"), (403, "Error")],
                 handler: json { try await RoutingService.listCriticalRules(context: try $0.context) }),
        Endpoint(method: .POST, path: "/critical-rules", operationID: "createCriticalRule", tag: "routing", summary: "Add a rule (admins).",
                 authenticated: true, body: .json("CriticalRuleInput"), query: [],
                 responses: [(201, "CriticalRule"), (403, "Error"), (409, "Error"), (422, "Error")],
                 handler: respond { req in try await RoutingService.saveCriticalRule(key: nil, try req.content.decode(CriticalRuleInput.self), context: try req.context) }),
        Endpoint(method: .PATCH, path: "/critical-rules/{key}", operationID: "updateCriticalRule", tag: "routing", summary: "Change a rule (admins).",
                 authenticated: true, body: .json("CriticalRuleInput"), query: [],
                 responses: [(200, "CriticalRule"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: respond { req in
                     try await RoutingService.saveCriticalRule(key: req.parameters.get("key"), try req.content.decode(CriticalRuleInput.self), context: try req.context)
                 }),

        // Attachments
        Endpoint(method: .POST, path: "/attachments", operationID: "uploadAttachments", tag: "attachments",
                 summary: "Upload files (multipart/form-data, or a raw body with ?filename=); reference their ids in a ticket or comment.",
                 authenticated: true, body: .upload,
                 query: [.init(name: "filename", schema: .string, description: "for a raw body: the file's name")],
                 responses: [(201, "AttachmentList"), (413, "Error"), (422, "Error")],
                 handler: json(.created) { try await Uploads.receive($0) }),
        Endpoint(method: .GET, path: "/attachments/{id}", operationID: "downloadAttachment", tag: "attachments",
                 summary: "Download a file you may see.", authenticated: true, body: .none, query: [],
                 responses: [(200, "Binary"), (404, "Error")],
                 handler: respond { req in try await ConversationService.download(id: req.parameters.get("id") ?? "", context: try req.context) }),

        // Configuration
        Endpoint(method: .GET, path: "/statuses", operationID: "listStatuses", tag: "configuration",
                 summary: "Statuses, built-in and the team's hand-off statuses.", authenticated: true, body: .none, query: [],
                 responses: [(200, "StatusList")], handler: json { try await ConfigService.statuses(context: try $0.context) }),
        Endpoint(method: .POST, path: "/statuses", operationID: "createStatus", tag: "configuration",
                 summary: "Add a hand-off status (admins).", authenticated: true, body: .json("StatusInput"), query: [],
                 responses: [(201, "Status"), (409, "Error"), (422, "Error")],
                 handler: json(.created) { req in try await ConfigService.createStatus(try req.content.decode(StatusInput.self), context: try req.context) }),
        Endpoint(method: .GET, path: "/intake-fields", operationID: "listIntakeFields", tag: "configuration",
                 summary: "The intake questions (customers: the ones they answer).", authenticated: true, body: .none, query: [],
                 responses: [(200, "IntakeFieldList")], handler: json { try await ConfigService.intakeFields(context: try $0.context) }),
        Endpoint(method: .POST, path: "/intake-fields", operationID: "createIntakeField", tag: "configuration",
                 summary: "Add an intake question (admins).", authenticated: true, body: .json("IntakeFieldInput"), query: [],
                 responses: [(201, "IntakeField"), (409, "Error"), (422, "Error")],
                 handler: respond { req in try await ConfigService.saveIntakeField(key: nil, try req.content.decode(IntakeFieldInput.self), context: try req.context) }),
        Endpoint(method: .PATCH, path: "/intake-fields/{key}", operationID: "updateIntakeField", tag: "configuration",
                 summary: "Change an intake question (admins).", authenticated: true, body: .json("IntakeFieldInput"), query: [],
                 responses: [(200, "IntakeField"), (404, "Error"), (422, "Error")],
                 handler: respond { req in try await ConfigService.saveIntakeField(key: req.parameters.get("key"), try req.content.decode(IntakeFieldInput.self), context: try req.context) }),
        Endpoint(method: .GET, path: "/canned-responses", operationID: "listCannedResponses", tag: "configuration",
                 summary: "The team's canned responses (staff).", authenticated: true, body: .none, query: [],
                 responses: [(200, "CannedResponseList"), (403, "Error")],
                 handler: json { ListOf(items: try await CannedService.list(context: try $0.context), nextCursor: nil) }),
        Endpoint(method: .POST, path: "/canned-responses", operationID: "createCannedResponse", tag: "configuration",
                 summary: "Add a canned response (managers, admins).", authenticated: true, body: .json("CannedResponseInput"), query: [],
                 responses: [(201, "CannedResponse"), (403, "Error"), (422, "Error")],
                 handler: json(.created) { try await CannedService.save(id: nil, try $0.content.decode(CannedResponseInput.self), context: try $0.context) }),
        Endpoint(method: .PATCH, path: "/canned-responses/{id}", operationID: "updateCannedResponse", tag: "configuration",
                 summary: "Change a canned response (managers, admins).", authenticated: true, body: .json("CannedResponseInput"), query: [],
                 responses: [(200, "CannedResponse"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json { try await CannedService.save(id: try $0.intParameter("id"), try $0.content.decode(CannedResponseInput.self), context: try $0.context) }),
        Endpoint(method: .DELETE, path: "/canned-responses/{id}", operationID: "deleteCannedResponse", tag: "configuration",
                 summary: "Remove a canned response (managers, admins).", authenticated: true, body: .none, query: [],
                 responses: [(204, nil), (403, "Error"), (404, "Error")],
                 handler: { req in Response(status: try await CannedService.delete(id: try req.intParameter("id"), context: try req.context)) }),
        // Working time
        Endpoint(method: .GET, path: "/calendars", operationID: "listCalendars", tag: "working time",
                 summary: "Business calendars (staff).", authenticated: true, body: .none, query: [],
                 responses: [(200, "CalendarList")], handler: json { try await WorkingTimeService.listCalendars(context: try $0.context) }),
        Endpoint(method: .POST, path: "/calendars", operationID: "createCalendar", tag: "working time",
                 summary: "Create a calendar (admins); production_calendar russia (default) loads the Russian holidays.",
                 authenticated: true, body: .json("CalendarInput"), query: [], responses: [(201, "Calendar"), (409, "Error"), (422, "Error")],
                 handler: json(.created) { req in try await WorkingTimeService.createCalendar(try req.content.decode(CalendarInput.self), context: try req.context) }),
        Endpoint(method: .GET, path: "/calendars/{key}", operationID: "getCalendar", tag: "working time", summary: "One calendar.",
                 authenticated: true, body: .none, query: [], responses: [(200, "Calendar"), (404, "Error")],
                 handler: json { req in try await WorkingTimeService.getCalendar(key: req.parameters.get("key") ?? "", context: try req.context) }),
        Endpoint(method: .PATCH, path: "/calendars/{key}", operationID: "updateCalendar", tag: "working time",
                 summary: "Change a calendar's name, time zone or hours (admins).", authenticated: true, body: .json("CalendarInput"), query: [],
                 responses: [(200, "Calendar"), (404, "Error"), (422, "Error")],
                 handler: json { req in try await WorkingTimeService.updateCalendar(key: req.parameters.get("key") ?? "", try req.content.decode(CalendarInput.self), context: try req.context) }),
        Endpoint(method: .GET, path: "/calendars/{key}/days", operationID: "exportCalendarDays", tag: "working time",
                 summary: "Export holidays, worked weekend days and shortened days: one \"YYYY-MM-DD holiday|workday|short\" a line.",
                 authenticated: true, body: .none, query: [], responses: [(200, "Text"), (404, "Error")],
                 handler: respond { req in try await WorkingTimeService.exportDays(key: req.parameters.get("key") ?? "", context: try req.context) }),
        Endpoint(method: .PUT, path: "/calendars/{key}/days", operationID: "importCalendarDays", tag: "working time",
                 summary: "Replace the special days from that file (admins); a bad line is named and nothing changes.",
                 authenticated: true, body: .text, query: [], responses: [(200, "Calendar"), (404, "Error"), (422, "Error")],
                 handler: json { req in try await WorkingTimeService.replaceDays(key: req.parameters.get("key") ?? "", text: req.body.string ?? "", context: try req.context) }),
        Endpoint(method: .GET, path: "/calendars/{key}/due", operationID: "calculateDue", tag: "working time",
                 summary: "When `minutes` of working time from `from` end on this calendar.", authenticated: true, body: .none,
                 query: [.init(name: "from", schema: .dateTime, description: "ISO 8601 start"),
                         .init(name: "minutes", schema: .integer, description: "working minutes")],
                 responses: [(200, "Due"), (404, "Error"), (422, "Error")],
                 handler: json { req in
                     let from = req.query[String.self, at: "from"].flatMap(DateWindow.parse)
                     return try await WorkingTimeService.due(key: req.parameters.get("key") ?? "", from: from, minutes: req.query[Int.self, at: "minutes"],
                                                             context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/sla-policies", operationID: "listSLAPolicies", tag: "working time",
                 summary: "SLA policies in order; the first that matches a ticket applies.", authenticated: true, body: .none, query: [],
                 responses: [(200, "SLAPolicyList")], handler: json { try await WorkingTimeService.listPolicies(context: try $0.context) }),
        Endpoint(method: .POST, path: "/sla-policies", operationID: "createSLAPolicy", tag: "working time",
                 summary: "Add a policy (admins).", authenticated: true, body: .json("SLAPolicyInput"), query: [],
                 responses: [(201, "SLAPolicy"), (409, "Error"), (422, "Error")],
                 handler: respond { req in try await WorkingTimeService.savePolicy(key: nil, try req.content.decode(SLAPolicyInput.self), context: try req.context) }),
        Endpoint(method: .PATCH, path: "/sla-policies/{key}", operationID: "updateSLAPolicy", tag: "working time",
                 summary: "Change a policy (admins).", authenticated: true, body: .json("SLAPolicyInput"), query: [],
                 responses: [(200, "SLAPolicy"), (404, "Error"), (422, "Error")],
                 handler: respond { req in try await WorkingTimeService.savePolicy(key: req.parameters.get("key"), try req.content.decode(SLAPolicyInput.self), context: try req.context) }),
        Endpoint(method: .POST, path: "/sla-policies/templates/{template}", operationID: "installSLATemplate", tag: "working time",
                 summary: "Install a seed's policies: seed000 (2 working hours), seed002 (30 minutes), seed003 (by type).",
                 authenticated: true, body: .none, query: [], responses: [(200, "SLAPolicyList"), (404, "Error")],
                 handler: json { req in try await WorkingTimeService.installTemplate(req.parameters.get("template") ?? "", context: try req.context) }),

        // Mail
        Endpoint(method: .GET, path: "/mail/stats", operationID: "mailStats", tag: "mail",
                 summary: "Counts of received messages and of the outbox by status (admins).", authenticated: true, body: .none, query: [],
                 responses: [(200, "MailStats"), (403, "Error")], handler: json { try await MailService.stats(context: try $0.context) }),
        Endpoint(method: .GET, path: "/mail/inbound", operationID: "listInboundMail", tag: "mail",
                 summary: "Received messages, newest first; `status=quarantined` lists the ones that could not be filed, with the reason (admins).",
                 authenticated: true, body: .none,
                 query: [.init(name: "status", schema: .enumeration(MailService.inboundStatuses), description: "only this status"),
                         .init(name: "limit", schema: .integer, description: "1…500 (50)")],
                 responses: [(200, "InboundMailList"), (403, "Error"), (422, "Error")], handler: json { req in try await MailService.inbound(status: req.query[String.self, at: "status"], limit: req.query[Int.self, at: "limit"], context: try req.context) }),
        Endpoint(method: .POST, path: "/mail/inbound", operationID: "submitInboundMail", tag: "mail",
                 summary: "File a raw RFC 5322 message (body: message/rfc822), exactly as if it had arrived over SMTP (admins); answers once it is processed (up to 10 s when another worker took it first).",
                 authenticated: true, body: .message, query: [],
                 responses: [(201, "InboundMail"), (403, "Error"), (413, "Error")], handler: json(.created) { req in try await MailService.submit(raw: try await Uploads.message(req), context: try req.context) }),
        Endpoint(method: .GET, path: "/mail/inbound/{id}", operationID: "getInboundMail", tag: "mail",
                 summary: "One received message: status, reason, ticket (admins).", authenticated: true, body: .none, query: [],
                 responses: [(200, "InboundMail"), (403, "Error"), (404, "Error")],
                 handler: json { try await MailService.inboundItem(id: try $0.intParameter("id"), context: try $0.context) }),
        Endpoint(method: .GET, path: "/mail/inbound/{id}/raw", operationID: "getInboundMailRaw", tag: "mail",
                 summary: "The message exactly as received (message/rfc822).", authenticated: true, body: .none, query: [],
                 responses: [(200, "Message"), (403, "Error"), (404, "Error")],
                 handler: respond { try await MailService.raw(id: try $0.intParameter("id"), context: try $0.context) }),
        Endpoint(method: .POST, path: "/mail/inbound/{id}/retry", operationID: "retryInboundMail", tag: "mail",
                 summary: "Process a quarantined message again (admins).", authenticated: true, body: .none, query: [],
                 responses: [(200, "InboundMail"), (403, "Error"), (404, "Error")],
                 handler: json { try await MailService.retry(id: try $0.intParameter("id"), context: try $0.context) }),
        Endpoint(method: .GET, path: "/mail/outbox", operationID: "listOutbox", tag: "mail",
                 summary: "Outgoing messages, newest first; failed ones carry the relay's reason (admins).", authenticated: true, body: .none,
                 query: [.init(name: "status", schema: .enumeration(MailService.outboxStatuses), description: "only this status"),
                         .init(name: "limit", schema: .integer, description: "1…500 (50)")],
                 responses: [(200, "OutboxMailList"), (403, "Error"), (422, "Error")], handler: json { req in try await MailService.outbox(status: req.query[String.self, at: "status"], limit: req.query[Int.self, at: "limit"], context: try req.context) }),
        Endpoint(method: .GET, path: "/mail/outbox/{id}/raw", operationID: "getOutboxMailRaw", tag: "mail",
                 summary: "An outgoing message exactly as it is sent (message/rfc822; admins).", authenticated: true, body: .none, query: [],
                 responses: [(200, "Message"), (403, "Error"), (404, "Error")],
                 handler: respond { try await MailService.outboxRaw(id: try $0.intParameter("id"), context: try $0.context) }),
        Endpoint(method: .POST, path: "/mail/outbox/{id}/retry", operationID: "retryOutboxMail", tag: "mail",
                 summary: "Send a failed or waiting message again now (admins).", authenticated: true, body: .none, query: [],
                 responses: [(200, "OutboxMail"), (403, "Error"), (404, "Error")],
                 handler: json { try await MailService.retryOutbox(id: try $0.intParameter("id"), context: try $0.context) }),
        Endpoint(method: .GET, path: "/mail/templates", operationID: "listMailTemplates", tag: "mail",
                 summary: "Every notification text in both languages, as used now (admins).", authenticated: true, body: .none, query: [],
                 responses: [(200, "MailTemplateList"), (403, "Error")],
                 handler: json { ListOf(items: try await MailService.templates(context: try $0.context), nextCursor: nil) }),
        Endpoint(method: .PUT, path: "/mail/templates/{kind}/{language}", operationID: "saveMailTemplate", tag: "mail",
                 summary: "Replace a notification text; placeholders are {{name}}, {{number}}, {{subject}}, {{link}}, {{body}}, {{status}}, {{assignee}}, {{actor}}, {{requester}}, {{tag}} (admins).",
                 authenticated: true, body: .json("MailTemplateInput"), query: [],
                 responses: [(200, "MailTemplate"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json { try await MailService.saveTemplate(kind: $0.parameters.get("kind"), language: $0.parameters.get("language"), try $0.content.decode(MailTemplateInput.self), context: try $0.context) }),
        Endpoint(method: .DELETE, path: "/mail/templates/{kind}/{language}", operationID: "resetMailTemplate", tag: "mail",
                 summary: "Go back to the built-in text (admins).", authenticated: true, body: .none, query: [],
                 responses: [(200, "MailTemplate"), (403, "Error"), (404, "Error")],
                 handler: json { try await MailService.saveTemplate(kind: $0.parameters.get("kind"), language: $0.parameters.get("language"), nil, context: try $0.context) }),
        Endpoint(method: .POST, path: "/auth/password-reset", operationID: "requestPasswordReset", tag: "auth",
                 summary: "Email a link to set a new password; answers 202 whether or not the address has an account.",
                 authenticated: false, body: .json("PasswordResetRequest"), query: [], responses: [(202, nil), (422, "Error")],
                 handler: { req in
                     try await MailService.requestPasswordReset(try req.content.decode(PasswordResetInput.self), context: try req.context)
                     return Response(status: .accepted)
                 }),
        Endpoint(method: .POST, path: "/auth/password", operationID: "setPassword", tag: "auth",
                 summary: "Set a password with the token from a password or account mail (confirms the address).",
                 authenticated: false, body: .json("PasswordSet"), query: [], responses: [(204, nil), (422, "Error")],
                 handler: { req in
                     try await MailService.setPassword(try req.content.decode(PasswordSetInput.self), context: try req.context)
                     return Response(status: .noContent)
                 }),
        Endpoint(method: .GET, path: "/urgencies", operationID: "listUrgencies", tag: "configuration",
                 summary: "Urgency levels 1…4 with their definitions (seed 000).", authenticated: false, body: .none, query: [],
                 responses: [(200, "UrgencyList")],
                 handler: json { _ in ListOf(items: Urgency.all.map { UrgencyDTO(level: $0.level, definitionRu: $0.definition(.ru), definitionEn: $0.definition(.en)) }, nextCursor: nil) }),
    ] + knowledgeBase + quality + mailboxes + webhooks + bans + widget
}
