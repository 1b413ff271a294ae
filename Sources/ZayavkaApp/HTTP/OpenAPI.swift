import Foundation
import ZayavkaCore

/// The small subset of JSON Schema the API uses; rendered into the OpenAPI document and used by
/// the tests to check real responses against it.
indirect enum JSONSchema: Sendable {
    case string, integer, number, boolean, dateTime, date, binary
    case enumeration([String])
    case ref(String)
    case array(JSONSchema)
    case object([(String, JSONSchema)], required: [String])
    case map(JSONSchema)
    case nullable(JSONSchema)

    var json: [String: Any] {
        switch self {
        case .string: return ["type": "string"]
        case .integer: return ["type": "integer"]
        case .number: return ["type": "number"]
        case .boolean: return ["type": "boolean"]
        case .dateTime: return ["type": "string", "format": "date-time"]
        case .date: return ["type": "string", "format": "date"]
        case .binary: return ["type": "string", "contentMediaType": "application/octet-stream"]
        case .enumeration(let values): return ["type": "string", "enum": values]
        case .ref(let name): return ["$ref": "#/components/schemas/\(name)"]
        case .array(let item): return ["type": "array", "items": item.json]
        case .object(let properties, let required):
            var result: [String: Any] = ["type": "object", "additionalProperties": false,
                                         "properties": Dictionary(properties.map { ($0.0, $0.1.json) }, uniquingKeysWith: { a, _ in a })]
            if !required.isEmpty { result["required"] = required }
            return result
        case .map(let value): return ["type": "object", "additionalProperties": value.json]
        case .nullable(let inner):
            if case .ref = inner { return ["oneOf": [inner.json, ["type": "null"]]] }
            var body = inner.json
            if let type = body["type"] as? String { body["type"] = [type, "null"] }
            if var values = body["enum"] as? [Any] { values.append(NSNull()); body["enum"] = values }
            return body
        }
    }
}

/// The OpenAPI 3.1 document served at /api/v1/openapi.json.
enum OpenAPIDocument {
    static func cases<T: RawRepresentable & CaseIterable>(_ type: T.Type) -> JSONSchema where T.RawValue == String {
        .enumeration(T.allCases.map(\.rawValue))
    }

    /// Each object lists every key the server writes; keys that may be null may also be left out.
    static func object(_ properties: [(String, JSONSchema)]) -> JSONSchema {
        .object(properties, required: properties.filter { if case .nullable = $0.1 { false } else { true } }.map(\.0))
    }
    static func input(_ properties: [(String, JSONSchema)], required: [String] = []) -> JSONSchema { .object(properties, required: required) }
    static func list(_ item: String) -> JSONSchema { object([("items", .array(.ref(item))), ("next_cursor", .nullable(.string))]) }

    static let schemas: [String: JSONSchema] = {
        let person = JSONSchema.ref("PersonRef")
        var s: [String: JSONSchema] = [
            "Error": object([("error", .object([("code", .string), ("message", .string),
                                                ("fields", .nullable(.array(object([("field", .string), ("code", .string), ("message", .string)]))))],
                                               required: ["code", "message"]))]),
            "PersonRef": object([("id", .integer), ("name", .string)]),
            "TokenRequest": input([("email", .string), ("password", .string), ("name", .string), ("expires_in_days", .integer)],
                                  required: ["email", "password"]),
            "Token": object([("id", .integer), ("name", .string), ("prefix", .string), ("user_id", .integer),
                             ("created_at", .nullable(.dateTime)), ("expires_at", .nullable(.dateTime)),
                             ("last_used_at", .nullable(.dateTime)), ("revoked_at", .nullable(.dateTime))]),
            "TokenCreated": object([("token", .string), ("info", .ref("Token")), ("user", .ref("User"))]),
            "User": object([("id", .integer), ("email", .string), ("name", .string), ("role", cases(Role.self)),
                            ("locale", cases(Language.self)), ("time_zone", .string), ("phone", .nullable(.string)),
                            ("organization_id", .nullable(.integer)), ("is_active", .boolean), ("created_at", .nullable(.dateTime)),
                            ("calendar", .nullable(.string)), ("on_shift", .boolean)]),
            "UserInput": input([("email", .string), ("name", .string), ("role", cases(Role.self)), ("locale", cases(Language.self)),
                                ("time_zone", .string), ("phone", .nullable(.string)), ("organization_id", .nullable(.integer)),
                                ("password", .string), ("current_password", .string), ("is_active", .boolean), ("calendar", .nullable(.string)),
                                ("on_shift", .boolean)]),
            // Customers get id, name, contract_number, inn, phones and addresses; the rest is staff-only and left out.
            "Organization": object([("id", .integer), ("name", .string), ("contract_number", .nullable(.string)), ("inn", .nullable(.string)),
                                    ("plan", .nullable(.enumeration(["paid", "free"]))), ("contract_ends_on", .nullable(.date)),
                                    ("quota", .nullable(.integer)), ("usage", .nullable(.integer)), ("phones", .array(.string)),
                                    ("email_domains", .nullable(.array(.string))), ("logins", .nullable(.array(.string))), ("addresses", .array(.string)),
                                    ("notes", .nullable(.string)), ("members_see_all_tickets", .nullable(.boolean)), ("created_at", .nullable(.dateTime))]),
            "OrganizationInput": input([("name", .string), ("contract_number", .nullable(.string)), ("inn", .nullable(.string)),
                                        ("plan", .enumeration(["paid", "free"])), ("contract_ends_on", .nullable(.date)),
                                        ("quota", .nullable(.integer)), ("usage", .nullable(.integer)), ("phones", .array(.string)),
                                        ("email_domains", .array(.string)), ("logins", .array(.string)), ("addresses", .array(.string)), ("notes", .nullable(.string)),
                                        ("members_see_all_tickets", .boolean)]),
            "Group": object([("id", .integer), ("name", .string), ("description", .nullable(.string)), ("member_ids", .array(.integer)),
                             ("assignment", cases(AssignmentMode.self))]),
            "GroupInput": input([("name", .string), ("description", .string), ("assignment", cases(AssignmentMode.self))]),
            "Ticket": object([("number", .integer), ("subject", .string), ("status", .string), ("status_name", .string),
                              ("type", cases(TicketType.self)), ("priority", cases(TicketPriority.self)), ("urgency", .nullable(.integer)),
                              ("channel", cases(TicketChannel.self)), ("responsibility", .nullable(cases(Responsibility.self))),
                              ("cause", .nullable(.string)), ("requester", person), ("organization", .nullable(person)),
                              ("assignee", .nullable(person)), ("group", .nullable(person)), ("due_at", .nullable(.dateTime)),
                              ("fields", .map(.string)), ("created_at", .dateTime), ("updated_at", .dateTime),
                              ("solved_at", .nullable(.dateTime)), ("closed_at", .nullable(.dateTime)), ("next_due_at", .nullable(.dateTime))]),
            "TicketCreate": input([("subject", .string), ("body", .string), ("requester_id", .integer), ("requester_email", .string),
                                   ("requester_name", .string), ("channel", cases(TicketChannel.self)), ("type", cases(TicketType.self)),
                                   ("priority", cases(TicketPriority.self)), ("urgency", .integer),
                                   ("responsibility", cases(Responsibility.self)), ("cause", .string), ("status", .string),
                                   ("assignee_id", .integer), ("group_id", .integer), ("due_at", .dateTime),
                                   ("fields", .map(.string)), ("attachments", .array(.string))], required: ["subject", "body"]),
            "TicketPatch": input([("subject", .string), ("type", cases(TicketType.self)), ("priority", cases(TicketPriority.self)),
                                  ("urgency", .nullable(.integer)), ("responsibility", .nullable(cases(Responsibility.self))),
                                  ("cause", .nullable(.string)), ("status", .string), ("assignee_id", .nullable(.integer)),
                                  ("group_id", .nullable(.integer)), ("due_at", .nullable(.dateTime)),
                                  ("fields", .map(.nullable(.string))), ("resolution", .ref("ResolutionInput"))]),
            "Attachment": object([("id", .string), ("filename", .string), ("content_type", .string), ("size", .integer),
                                  ("sha256", .string), ("url", .string), ("created_at", .dateTime)]),
            "AttachmentList": object([("attachments", .array(.ref("Attachment")))]),
            "Comment": object([("id", .integer), ("body", .string), ("public", .boolean), ("author", .nullable(person)),
                               ("source", cases(TicketChannel.self)), ("created_at", .dateTime), ("attachments", .array(.ref("Attachment"))),
                               ("sender_verified", .nullable(.boolean))]),
            "CommentInput": input([("body", .string), ("public", .boolean), ("attachments", .array(.string)), ("status", .string),
                                   ("answer", .enumeration(["solution", "promise", "refusal"])), ("promised_at", .dateTime),
                                   ("refusal_reason", .string), ("resolution", .ref("ResolutionInput")), ("changes", .ref("TicketPatch"))],
                                  required: ["body"]),
            "Event": object([("id", .integer), ("kind", .string), ("field", .nullable(.string)), ("before", .nullable(.string)),
                             ("after", .nullable(.string)), ("actor", .nullable(person)), ("comment_id", .nullable(.integer)),
                             ("created_at", .dateTime), ("reason", .nullable(.string))]),
            "Status": object([("key", .string), ("category", cases(StatusCategory.self)), ("name_ru", .string),
                              ("name_en", .string), ("built_in", .boolean)]),
            "CannedResponse": object([("id", .integer), ("title", .string), ("body", .string), ("position", .integer), ("sets", .ref("CannedSets"))]),
            "CannedSets": input([("status", .nullable(.string)), ("priority", .nullable(cases(TicketPriority.self))),
                                 ("group_id", .nullable(.integer)), ("assignee_id", .nullable(.integer))]),
            "CannedResponseInput": input([("title", .string), ("body", .string), ("position", .integer), ("sets", .ref("CannedSets"))]),
            "StatusInput": input([("key", .string), ("name_ru", .string), ("name_en", .string)], required: ["key", "name_ru", "name_en"]),
            "IntakeField": object([("key", .string), ("kind", cases(IntakeFieldDefinition.Kind.self)), ("label_ru", .string),
                                   ("label_en", .string), ("options", .array(.string)), ("required", .boolean),
                                   ("customer_visible", .boolean), ("active", .boolean), ("position", .integer)]),
            "IntakeFieldInput": input([("key", .string), ("kind", cases(IntakeFieldDefinition.Kind.self)), ("label_ru", .string),
                                       ("label_en", .string), ("options", .array(.string)), ("required", .boolean),
                                       ("customer_visible", .boolean), ("active", .boolean), ("position", .integer)]),
            "Urgency": object([("level", .integer), ("definition_ru", .string), ("definition_en", .string)]),
            "Binary": .binary,
            "Message": .string,
            "MailStats": object([("inbound", .map(.integer)), ("outbox", .map(.integer)), ("relay_configured", .boolean)]),
            "InboundMail": object([("id", .integer), ("message_id", .nullable(.string)), ("from", .nullable(.string)),
                                   ("envelope_from", .string), ("subject", .nullable(.string)), ("status", .enumeration(MailService.inboundStatuses)),
                                   ("reason", .nullable(.string)), ("automatic", .boolean), ("size", .integer),
                                   ("ticket_number", .nullable(.integer)), ("received_at", .dateTime), ("processed_at", .nullable(.dateTime))]),
            "OutboxMail": object([("id", .integer), ("kind", cases(NotificationKind.self)), ("to", .string), ("subject", .string),
                                  ("status", .enumeration(MailService.outboxStatuses)), ("attempts", .integer), ("last_error", .nullable(.string)),
                                  ("ticket_number", .nullable(.integer)), ("message_id", .string), ("created_at", .dateTime),
                                  ("sent_at", .nullable(.dateTime)), ("next_attempt_at", .dateTime)]),
            "MailTemplate": object([("kind", cases(NotificationKind.self)), ("language", cases(Language.self)), ("subject", .string),
                                    ("body", .string), ("customized", .boolean), ("placeholders", .array(.string))]),
            "MailTemplateInput": input([("subject", .string), ("body", .string)], required: ["subject", "body"]),
            "PasswordResetRequest": input([("email", .string)], required: ["email"]),
            "PasswordSet": input([("token", .string), ("password", .string)], required: ["token", "password"]),
            "Text": .string,
            "CSV": .string,
            "SLAClock": object([("metric", cases(SLAMetric.self)), ("policy", .nullable(.string)), ("target_minutes", .integer),
                                ("started_at", .dateTime), ("due_at", .nullable(.dateTime)), ("stopped_at", .nullable(.dateTime)),
                                ("state", cases(SLAState.self)), ("elapsed_minutes", .integer),
                                ("warned_at", .nullable(.dateTime)), ("breached_at", .nullable(.dateTime))]),
            "Calendar": object([("key", .string), ("name", .string), ("time_zone", .string), ("weekly", .array(.array(.string))),
                                ("transferred_day_hours", .array(.string)), ("shortening_minutes", .integer), ("default", .boolean),
                                ("special_days", .integer)]),
            "CalendarInput": input([("key", .string), ("name", .string), ("time_zone", .string), ("weekly", .array(.array(.string))),
                                    ("transferred_day_hours", .array(.string)), ("shortening_minutes", .integer),
                                    ("production_calendar", .enumeration(["russia", "none"]))]),
            "Due": object([("calendar", .string), ("from", .dateTime), ("minutes", .integer), ("due_at", .nullable(.dateTime))]),
            "SLATargets": input([("first_response", .integer), ("next_response", .integer), ("resolution", .integer)]),
            "SLAConditions": input([("types", .array(cases(TicketType.self))), ("priorities", .array(cases(TicketPriority.self))),
                                    ("urgencies", .array(.integer)), ("plans", .array(cases(CustomerPlan.self))),
                                    ("organization_ids", .array(.integer)), ("channels", .array(cases(TicketChannel.self))),
                                    ("group_ids", .array(.integer)), ("fields", .map(.string))]),
            "Problem": object([("number", .integer), ("code", .string), ("kind", cases(ProblemKind.self)), ("title", .string),
                               ("public_summary", .string), ("status", cases(ProblemStatus.self)), ("status_name", .string),
                               ("target_version", .nullable(.string)), ("target_date", .nullable(.date)), ("fixed_version", .nullable(.string)),
                               ("reason", .nullable(.string)), ("estimate", .nullable(.string)), ("incident_active", .boolean), ("updated_at", .dateTime),
                               ("description", .nullable(.string)), ("group", .nullable(person)), ("owner", .nullable(person)),
                               ("tracker_url", .nullable(.string)), ("failure_kind", .nullable(.string)),
                               ("popularity", .nullable(object([("tickets", .integer), ("organizations", .integer), ("paid_organizations", .integer),
                                                                ("last_30_days", .integer)]))),
                               ("created_at", .nullable(.dateTime))]),
            "ProblemList": list("Problem"),
            "ErasureInput": input([("reason", .string)], required: ["reason"]),
            "Erasure": object([("user", .ref("User")), ("tickets", .integer), ("comments", .integer), ("attachments", .integer), ("mails", .integer)]),
            "AuditEvent": object([("id", .integer), ("action", .string), ("actor", .nullable(person)), ("subject_user_id", .nullable(.integer)),
                                  ("reason", .string), ("details", .map(.integer)), ("created_at", .dateTime)]),
            "AuditEventList": list("AuditEvent"),
            "LegalHoldInput": input([("reason", .string)], required: ["reason"]),
            "LegalHold": object([("id", .integer), ("user", .nullable(person)), ("organization", .nullable(person)), ("reason", .string),
                                 ("active", .boolean), ("placed_by", .nullable(person)), ("placed_at", .dateTime),
                                 ("released_by", .nullable(person)), ("released_at", .nullable(.dateTime)), ("release_reason", .nullable(.string))]),
            "LegalHoldList": list("LegalHold"),
            "ProblemInput": input([("kind", cases(ProblemKind.self)), ("title", .string), ("description", .string), ("public_summary", .string),
                                   ("group_id", .integer), ("owner_id", .integer), ("tracker_url", .string), ("ticket_number", .integer)],
                                  required: ["title"]),
            "ProblemPatchInput": input([("kind", cases(ProblemKind.self)), ("title", .string), ("description", .string), ("public_summary", .string),
                                        ("group_id", .nullable(.integer)), ("owner_id", .nullable(.integer)), ("tracker_url", .nullable(.string)),
                                        ("status", cases(ProblemStatus.self)), ("target_version", .string), ("target_date", .string),
                                        ("fixed_version", .string), ("reason", .string), ("estimate", .string), ("note", .string),
                                        ("solve_tickets", .boolean)]),
            "ProblemLinkInput": input([("problem", .string)], required: ["problem"]),
            "ProblemTicket": object([("number", .integer), ("subject", .string), ("status", .string), ("requester", person),
                                     ("organization", .nullable(person)), ("created_at", .dateTime)]),
            "ProblemTicketList": list("ProblemTicket"),
            "ProblemEvent": object([("id", .integer), ("kind", .string), ("field", .nullable(.string)), ("before", .nullable(.string)),
                                    ("after", .nullable(.string)), ("actor", .nullable(person)), ("is_public", .boolean), ("created_at", .dateTime)]),
            "ProblemEventList": list("ProblemEvent"),
            "OutbreakSettings": object([("customers", .integer), ("window_minutes", .integer), ("reminder_minutes", .integer),
                                        ("text_ru", .string), ("text_en", .string)]),
            "OutbreakSettingsInput": input([("customers", .integer), ("window_minutes", .integer), ("reminder_minutes", .integer),
                                            ("text_ru", .string), ("text_en", .string)]),
            "OutbreakTicket": object([("number", .integer), ("subject", .string), ("requester", person), ("organization", .nullable(person)),
                                      ("channel", .string), ("created_at", .dateTime)]),
            "OutbreakAlert": object([("id", .integer), ("failure_kind", .string), ("failure_kind_name", .string), ("customers", .integer),
                                     ("since", .dateTime), ("opened_at", .dateTime), ("acknowledged_by", .nullable(person)),
                                     ("acknowledged_at", .nullable(.dateTime)), ("reminded_at", .nullable(.dateTime)),
                                     ("tickets", .array(.ref("OutbreakTicket")))]),
            "ActiveIncident": object([("number", .integer), ("code", .string), ("title", .string), ("text", .string), ("estimate", .nullable(.string)),
                                      ("since", .dateTime), ("failure_kind", .nullable(.string)), ("failure_kind_name", .nullable(.string)),
                                      ("tickets", .nullable(.integer))]),
            "ActiveIncidentList": list("ActiveIncident"),
            "IncidentBoard": object([("alerts", .array(.ref("OutbreakAlert"))), ("active", .array(.ref("ActiveIncident")))]),
            "IncidentInput": input([("alert_id", .integer), ("failure_kind", .string), ("title", .string), ("text_ru", .string), ("text_en", .string),
                                    ("since", .dateTime), ("ticket_numbers", .array(.integer))]),
            "WarningInput": input([("request_ban", .boolean)]),
            "Warning": object([("warnings", .integer), ("ban_offered", .boolean), ("ban_requested", .boolean), ("comment_id", .nullable(.integer))]),
            "AccountCheck": object([("kind", .enumeration(["contract_ended", "quota_exceeded"])), ("organization", person),
                                    ("message", .string), ("next_step", .string)]),
            "AccountReference": object([("value", .string), ("state", .enumeration(["found", "ambiguous", "not_found"])),
                                        ("organizations", .array(person))]),
            "TicketAccount": object([("organization", .nullable(person)), ("source", .enumeration(["ticket", "reference", "none"])),
                                     ("reference", .nullable(.ref("AccountReference"))), ("reference_mismatch", .boolean),
                                     ("checks", .array(.ref("AccountCheck"))), ("can_place", .boolean)]),
            "Route": object([("key", .string), ("name", .string), ("status", .nullable(.string)), ("group_id", .nullable(.integer)),
                             ("assignee_id", .nullable(.integer)), ("message_ru", .string), ("message_en", .string), ("paid_only", .boolean),
                             ("agent_hint", .nullable(.string)), ("position", .integer), ("active", .boolean)]),
            "RouteInput": input([("key", .string), ("name", .string), ("status", .nullable(.string)), ("group_id", .nullable(.integer)),
                                 ("assignee_id", .nullable(.integer)), ("message_ru", .string), ("message_en", .string), ("paid_only", .boolean),
                                 ("agent_hint", .nullable(.string)), ("position", .integer), ("active", .boolean)]),
            "RouteRequest": input([("route", .string), ("note", .string)], required: ["route"]),
            "CriticalRule": object([("key", .string), ("name", .string), ("categories", .array(.string)), ("phrases", .array(.array(.string))),
                                    ("position", .integer), ("active", .boolean)]),
            "CriticalRuleInput": input([("key", .string), ("name", .string), ("categories", .array(.string)), ("phrases", .array(.array(.string))),
                                        ("position", .integer), ("active", .boolean)]),
            "DirectoryMatch": object([("kind", cases(DirectorySearch.Kind.self)), ("value", .string)]),
            "OrganizationMatch": object([("organization", .ref("Organization")), ("matched", .ref("DirectoryMatch")), ("open_tickets", .integer),
                                         ("checks", .array(.enumeration(["contract_ended", "quota_exceeded"])))]),
            "ContactMatch": object([("id", .integer), ("name", .string), ("email", .string), ("phone", .nullable(.string)),
                                    ("organization", .nullable(person)), ("matched", .ref("DirectoryMatch")), ("open_tickets", .integer)]),
            "DirectorySearch": object([("query", .string), ("organizations", .array(.ref("OrganizationMatch"))), ("contacts", .array(.ref("ContactMatch")))]),
            "ImportReport": object([("created", .integer), ("updated", .integer), ("unknown_columns", .array(.string)),
                                    ("rejected", .array(object([("line", .integer),
                                                                ("errors", .array(object([("field", .string), ("code", .string), ("message", .string)])))])))]),
            "Call": object([("id", .integer), ("ticket_number", .nullable(.integer)), ("direction", .enumeration(["in", "out"])), ("number", .string),
                            ("started_at", .dateTime), ("duration_seconds", .integer), ("outcome", cases(CallOutcome.self)), ("note", .nullable(.string)),
                            ("agent", .nullable(person)), ("callback_id", .nullable(.integer))]),
            "CallTicketInput": input([("subject", .string), ("body", .string), ("requester_id", .integer), ("requester_email", .string),
                                      ("requester_name", .string), ("group_id", .integer), ("fields", .map(.string))], required: ["subject", "body"]),
            "CallInput": input([("number", .string), ("direction", .enumeration(["in", "out"])), ("started_at", .dateTime),
                                ("duration_seconds", .integer), ("outcome", cases(CallOutcome.self)), ("note", .string), ("ticket_number", .integer),
                                ("new_ticket", .ref("CallTicketInput")), ("callback_at", .dateTime)], required: ["number"]),
            "Callback": object([("id", .integer), ("ticket_number", .integer), ("subject", .string), ("number", .string), ("due_at", .dateTime),
                                ("assignee", .nullable(person)), ("busy_count", .integer),
                                ("state", .enumeration(["pending", "attempted", "done", "retried", "customer_told", "cancelled"])),
                                ("note", .nullable(.string)), ("created_at", .dateTime)]),
            "CallbackInput": input([("due_at", .dateTime), ("number", .string), ("note", .string), ("assignee_id", .integer)], required: ["due_at"]),
            "CallbackAttemptInput": input([("outcome", cases(CallOutcome.self)), ("duration_seconds", .integer), ("note", .string)], required: ["outcome"]),
            "CallbackAttempt": object([("call", .ref("Call")), ("next", .enumeration(["done", "retry", "customer_told"])), ("callback", .ref("Callback")),
                                       ("retry", .nullable(.ref("Callback"))), ("comment_id", .nullable(.integer))]),
            "CallbackRule": object([("retry_minutes", .integer), ("busy_retries", .integer), ("message_ru", .string), ("message_en", .string)]),
            "CallbackRuleInput": input([("retry_minutes", .integer), ("busy_retries", .integer), ("message_ru", .string), ("message_en", .string)]),
            "WorkSlot": object([("id", .integer), ("user", person), ("ticket_number", .nullable(.integer)), ("subject", .nullable(.string)),
                                ("starts_at", .dateTime), ("ends_at", .dateTime), ("minutes", .integer), ("note", .nullable(.string))]),
            "WorkTask": object([("number", .integer), ("subject", .string), ("due_at", .dateTime), ("status", .string)]),
            "PersonWorkload": object([("user", person), ("calendar", .string), ("working_minutes", .integer), ("planned_minutes", .integer),
                                      ("slots", .array(.ref("WorkSlot"))), ("tasks", .array(.ref("WorkTask")))]),
            "Workload": object([("from", .dateTime), ("to", .dateTime), ("people", .array(.ref("PersonWorkload")))]),
            "PlanInput": input([("minutes", .integer), ("user_id", .integer), ("not_before", .dateTime), ("tell_customer", .boolean),
                                ("note", .string)], required: ["minutes"]),
            "Plan": object([("user", person), ("starts_at", .dateTime), ("ends_at", .dateTime), ("minutes", .integer),
                            ("slot_id", .nullable(.integer)), ("comment_id", .nullable(.integer))]),
            "SLAOutcome": object([("policy", .nullable(.string)), ("metric", cases(SLAMetric.self)), ("achieved", .integer),
                                  ("missed", .integer), ("achieved_percent", .number)]),
            "SLAEscalation": input([("notify", .array(cases(SLANotify.self))), ("raise_priority", .boolean),
                                    ("reassign_group_id", .nullable(.integer)), ("reassign_user_id", .nullable(.integer))]),
            "SLAPolicy": object([("key", .string), ("name", .string), ("position", .integer), ("conditions", .ref("SLAConditions")),
                                 ("targets", .ref("SLATargets")), ("warn_at_percent", .integer), ("calendar", .string), ("active", .boolean),
                                 ("escalation", .ref("SLAEscalation"))]),
            "SLAPolicyInput": input([("key", .string), ("name", .string), ("position", .integer), ("conditions", .ref("SLAConditions")),
                                     ("targets", .ref("SLATargets")), ("warn_at_percent", .integer), ("calendar", .string), ("active", .boolean),
                                     ("escalation", .ref("SLAEscalation"))]),
        ]
        for name in ["Token", "User", "Organization", "Group", "Ticket", "Comment", "Event", "Status", "IntakeField", "CannedResponse", "InboundMail", "OutboxMail", "MailTemplate", "Urgency", "Calendar", "SLAPolicy", "SLAClock", "SLAOutcome", "Route", "CriticalRule", "AccountCheck", "Call", "Callback"] {
            s[name + "List"] = list(name)
        }
        s.merge(knowledgeBaseSchemas, uniquingKeysWith: { a, _ in a })
        s.merge(qualitySchemas, uniquingKeysWith: { a, _ in a })
        s.merge(mailboxSchemas, uniquingKeysWith: { a, _ in a })
        s.merge(webhookSchemas, uniquingKeysWith: { a, _ in a })
        s.merge(banSchemas, uniquingKeysWith: { a, _ in a })
        s.merge(widgetSchemas, uniquingKeysWith: { a, _ in a })
        return s
    }()

    static func document(serverURL: String) -> [String: Any] {
        var paths: [String: [String: Any]] = [:]
        for endpoint in API.endpoints {
            var operation: [String: Any] = [
                "operationId": endpoint.operationID,
                "summary": endpoint.summary,
                "tags": [endpoint.tag],
            ]
            var parameters: [[String: Any]] = []
            for piece in endpoint.path.split(separator: "/") where piece.hasPrefix("{") {
                let name = String(piece.dropFirst().dropLast())
                let schema: JSONSchema = ["key", "template", "kind", "language"].contains(name) || (name == "id" && endpoint.path.hasPrefix("/attachments")) ? .string : .integer
                parameters.append(["name": name, "in": "path", "required": true, "schema": schema.json])
            }
            for parameter in endpoint.query {
                parameters.append(["name": parameter.name, "in": "query", "required": false,
                                   "description": parameter.description, "schema": parameter.schema.json])
            }
            for parameter in endpoint.headers {
                parameters.append(["name": parameter.name, "in": "header", "required": false,
                                   "description": parameter.description, "schema": parameter.schema.json])
            }
            if !parameters.isEmpty { operation["parameters"] = parameters }
            switch endpoint.body {
            case .none: break
            case .json(let schema):
                operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": JSONSchema.ref(schema).json]]]
            case .text:
                operation["requestBody"] = ["required": true, "content": ["text/plain": ["schema": JSONSchema.string.json]]]
            case .csv:
                operation["requestBody"] = ["required": true, "content": ["text/csv": ["schema": JSONSchema.string.json]]]
            case .message:
                operation["requestBody"] = ["required": true, "content": ["message/rfc822": ["schema": JSONSchema.string.json]]]
            case .image:
                operation["requestBody"] = ["required": true, "content": Dictionary(uniqueKeysWithValues: EndpointInput.mediaTypes(.image).map {
                    ($0, ["schema": JSONSchema.binary.json] as [String: Any])
                })]
            case .upload:
                operation["requestBody"] = ["required": true, "content": [
                    "multipart/form-data": ["schema": ["type": "object", "properties": ["file": ["type": "array", "items": JSONSchema.binary.json]]]],
                    "application/octet-stream": ["schema": JSONSchema.binary.json],
                ]]
            }
            var responses: [String: Any] = [:]
            for (status, schema) in endpoint.responses {
                var response: [String: Any] = ["description": HTTPDescription.text(status)]
                if let schema {
                    let type = schema == "Binary" ? "application/octet-stream" : schema == "Text" ? "text/plain" : schema == "CSV" ? "text/csv" : schema == "Message" ? "message/rfc822" : "application/json"
                    response["content"] = [type: ["schema": JSONSchema.ref(schema).json]]
                }
                responses[String(status)] = response
            }
            // The answers every operation can give through the shared layers (EndpointInput, the
            // screening middleware and decoder, the error middleware), besides its own.
            var common: [Int] = [400, 404, 422, 429]
            if endpoint.authenticated || endpoint.signInOptional || endpoint.widget { common += [401, 403] }
            if case .none = endpoint.body {} else { common += [413, 415] }
            // Any write can meet a state that refuses it: a taken name or email, a closed ticket, a
            // unique value another request wrote at the same moment (repeatable; nothing was written).
            if endpoint.method != .GET { common.append(409) }
            for status in common where responses[String(status)] == nil {
                responses[String(status)] = ["description": HTTPDescription.text(status),
                                             "content": ["application/json": ["schema": JSONSchema.ref("Error").json]]]
            }
            operation["security"] = endpoint.widget ? [["widget": [String]()]] : endpoint.authenticated ? [["bearer": [String]()]]
                : endpoint.signInOptional ? [[String: [String]](), ["bearer": [String]()]] : [[String: [String]]()]
            operation["responses"] = responses
            paths[endpoint.path, default: [:]][endpoint.method.rawValue.lowercased()] = operation
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Zayavka API",
                "version": "1.0.0",
                "description": "The help desk's REST API. Sign in with POST /auth/token and send `Authorization: Bearer <token>`. "
                    + "Errors are {\"error\": {code, message, fields}} with the message in the user's language.",
            ],
            "servers": [["url": serverURL + "/api/v1"]],
            "paths": paths,
            "webhooks": webhookOperations,
            "components": [
                "schemas": schemas.mapValues(\.json),
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"],
                                    "widget": ["type": "http", "scheme": "bearer", "description": "a widget session's token (POST /widget/sessions)"]],
            ],
        ]
    }
}

enum HTTPDescription {
    static func text(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No content"
        case 401: "Not signed in, or the token is wrong, expired or revoked"
        case 403: "Not allowed for this role, or (code `banned`) the customer or their address is banned"
        case 404: "Not found (also: not yours to see)"
        case 409: "Conflicts with the current state"
        case 400: "Malformed request (JSON that does not parse, a value of the wrong type)"
        case 413: "Too large"
        case 415: "The body is not of the media type the operation reads"
        case 422: "Invalid input (body or query parameters); `fields` says what and why"
        case 410: "No longer valid (an expired link)"
        case 429: "Too many attempts, or the server is too busy to check a password now; see Retry-After"
        default: "Status \(status)"
        }
    }
}

extension OpenAPIDocument {
    /// Issue 17: the knowledge base, search and the bot menu.
    static var knowledgeBaseSchemas: [String: JSONSchema] {
        let person = JSONSchema.ref("PersonRef")
        let languages = JSONSchema.enumeration(["ru", "en"])
        let summary = object([("id", .integer), ("slug", .string), ("language", languages), ("title", .string), ("category_id", .nullable(.integer)),
                              ("audience", cases(ArticleAudience.self)), ("status", cases(ArticleStatus.self)), ("updated_at", .dateTime),
                              ("url", .string), ("snippet", .nullable(.string))])
        let revision = object([("number", .integer), ("slug", .string), ("title", .string), ("body", .string), ("tags", .array(.string)),
                               ("audience", cases(ArticleAudience.self)), ("status", cases(ArticleStatus.self)), ("category_id", .nullable(.integer)),
                               ("author", .nullable(person)), ("note", .nullable(.string)), ("created_at", .dateTime)])
        let diffLine = object([("kind", cases(LineDiff.Kind.self)), ("text", .string)])
        return [
            "ArticleCategory": object([("id", .integer), ("parent_id", .nullable(.integer)), ("position", .integer), ("slug", .string),
                                       ("name_ru", .string), ("name_en", .string), ("name", .string), ("articles", .integer)]),
            "ArticleCategoryList": list("ArticleCategory"),
            "ArticleCategoryInput": input([("parent_id", .nullable(.integer)), ("position", .integer), ("slug", .string), ("name_ru", .string),
                                           ("name_en", .string)]),
            "ArticleSummary": summary,
            "ArticleSummaryList": list("ArticleSummary"),
            "Article": object([("id", .integer), ("category_id", .nullable(.integer)), ("slug", .string), ("language", languages),
                               ("translation_of", .nullable(.integer)),
                               ("translations", .array(object([("id", .integer), ("language", languages), ("slug", .string), ("title", .string)]))),
                               ("title", .string), ("body", .string), ("html", .string), ("tags", .array(.string)),
                               ("audience", cases(ArticleAudience.self)), ("status", cases(ArticleStatus.self)), ("author", .nullable(person)),
                               ("revision", .integer), ("helpful_yes", .integer), ("helpful_no", .integer), ("views", .integer),
                               ("created_at", .dateTime), ("updated_at", .dateTime), ("published_at", .nullable(.dateTime)), ("url", .string)]),
            "ArticleInput": input([("category_id", .nullable(.integer)), ("slug", .string), ("language", languages), ("translation_of", .nullable(.integer)),
                                   ("title", .string), ("body", .string), ("tags", .array(.string)), ("audience", cases(ArticleAudience.self)),
                                   ("status", cases(ArticleStatus.self)), ("note", .string)]),
            "ArticleVoteInput": input([("helpful", .boolean)], required: ["helpful"]),
            "ArticleVote": object([("helpful_yes", .integer), ("helpful_no", .integer)]),
            "ArticleRevision": revision,
            "ArticleRevisionList": list("ArticleRevision"),
            "ArticleRevisionDiff": object([("revision", .ref("ArticleRevision")), ("previous", .nullable(.integer)),
                                           ("title", .array(diffLine)), ("body", .array(diffLine))]),
            "ArticleImage": object([("name", .string), ("content_type", .string), ("size", .integer), ("url", .string)]),
            "ArticleSearchResult": object([("query", .string), ("terms", .array(.string)), ("items", .array(.ref("ArticleSummary")))]),
            "TicketSearchHit": object([("number", .integer), ("subject", .string), ("status", .string), ("status_name", .string), ("requester", person),
                                       ("updated_at", .dateTime), ("matched_in", .enumeration(["subject", "message"])), ("subject_html", .string),
                                       ("snippet", .string)]),
            "TicketSearchResult": object([("query", .string), ("terms", .array(.string)), ("items", .array(.ref("TicketSearchHit")))]),
            "BotNode": object([("id", .integer), ("parent_id", .nullable(.integer)), ("position", .integer), ("label_ru", .string), ("label_en", .string),
                               ("message_ru", .string), ("message_en", .string), ("action", cases(BotAction.self)), ("article_id", .nullable(.integer)),
                               ("ticket_type", .nullable(.string)), ("prefill", .map(.string))]),
            "BotNodeList": list("BotNode"),
            "BotNodeInput": input([("parent_id", .nullable(.integer)), ("position", .integer), ("label_ru", .string), ("label_en", .string),
                                   ("message_ru", .string), ("message_en", .string), ("action", cases(BotAction.self)),
                                   ("article_id", .nullable(.integer)), ("ticket_type", .nullable(.string)), ("prefill", .map(.string))]),
            "Deflection": object([("from", .dateTime), ("to", .dateTime), ("shown", .integer), ("opened", .integer), ("filed_after_opening", .integer),
                                  ("deflected", .integer),
                                  ("articles", .array(object([("id", .integer), ("title", .string), ("opened", .integer), ("deflected", .integer),
                                                              ("helpful_yes", .integer), ("helpful_no", .integer)])))]),
        ]
    }
}
