import Foundation
import Vapor
import ZayavkaCore

extension API {
    /// Webhooks (issue 19, SPEC C6): subscriptions, their delivery log, a ping, redelivery.
    static let webhooks: [Endpoint] = [
        Endpoint(method: .GET, path: "/webhooks", operationID: "listWebhooks", tag: "webhooks",
                 summary: "Webhook subscriptions (admins). The signing secret is never returned here.", authenticated: true, body: .none, query: [],
                 responses: [(200, "WebhookList"), (403, "Error")],
                 handler: json { ListOf(items: try await WebhookService.list(context: try $0.context), nextCursor: nil) }),
        Endpoint(method: .POST, path: "/webhooks", operationID: "createWebhook", tag: "webhooks",
                 summary: "Subscribe a URL to ticket events (admins). The answer carries the signing secret, shown only this once. Private and local addresses are refused unless configuration allows them.",
                 authenticated: true, body: .json("WebhookInput"), query: [], responses: [(201, "Webhook"), (403, "Error"), (422, "Error")],
                 handler: json(.created) { try await WebhookService.save(id: nil, try $0.content.decode(WebhookInput.self), context: try $0.context) }),
        Endpoint(method: .GET, path: "/webhooks/{id}", operationID: "getWebhook", tag: "webhooks",
                 summary: "One subscription (admins).", authenticated: true, body: .none, query: [],
                 responses: [(200, "Webhook"), (403, "Error"), (404, "Error")],
                 handler: json { try await WebhookService.get(try $0.intParameter("id"), context: try $0.context) }),
        Endpoint(method: .PATCH, path: "/webhooks/{id}", operationID: "updateWebhook", tag: "webhooks",
                 summary: "Change a subscription (admins): URL, events, on or off (turning it on again clears its failures); rotate_secret returns a new secret once.",
                 authenticated: true, body: .json("WebhookInput"), query: [], responses: [(200, "Webhook"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json { try await WebhookService.save(id: try $0.intParameter("id"), try $0.content.decode(WebhookInput.self), context: try $0.context) }),
        Endpoint(method: .DELETE, path: "/webhooks/{id}", operationID: "deleteWebhook", tag: "webhooks",
                 summary: "Remove a subscription and its delivery log (admins).", authenticated: true, body: .none, query: [],
                 responses: [(204, nil), (403, "Error"), (404, "Error")],
                 handler: { req in Response(status: try await WebhookService.delete(try req.intParameter("id"), context: try req.context)) }),
        Endpoint(method: .GET, path: "/webhooks/{id}/deliveries", operationID: "listWebhookDeliveries", tag: "webhooks",
                 summary: "The subscription's delivery log, newest first: the body sent, attempts, the receiver's last status and answer.",
                 authenticated: true, body: .none,
                 query: [.init(name: "limit", schema: .integer, description: "page size, 1…500 (100)"),
                         .init(name: "cursor", schema: .string, description: "next_cursor of the previous page")],
                 responses: [(200, "WebhookDeliveryList"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json { req in
                     var errors: [FieldError] = []
                     let cursor = req.intQuery("cursor", into: &errors)
                     let limit = req.listLimit(into: &errors)
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     return try await WebhookService.deliveries(try req.intParameter("id"), before: cursor, limit: limit, context: try req.context)
                 }),
        Endpoint(method: .POST, path: "/webhooks/{id}/ping", operationID: "pingWebhook", tag: "webhooks",
                 summary: "Queue a `ping` delivery to the subscription's URL; it goes out within a second and shows in the log.",
                 authenticated: true, body: .none, query: [], responses: [(201, "WebhookDelivery"), (403, "Error"), (404, "Error")],
                 handler: json(.created) { try await WebhookService.ping(try $0.intParameter("id"), context: try $0.context) }),
        Endpoint(method: .POST, path: "/webhook-deliveries/{id}/redeliver", operationID: "redeliverWebhook", tag: "webhooks",
                 summary: "Send a delivery again (same event id, new attempts).", authenticated: true, body: .none, query: [],
                 responses: [(200, "WebhookDelivery"), (403, "Error"), (404, "Error")],
                 handler: json { try await WebhookService.redeliver(try $0.intParameter("id"), context: try $0.context) }),
    ]
}

extension OpenAPIDocument {
    /// Issue 19: webhooks.
    static var webhookSchemas: [String: JSONSchema] {
        let text = JSONSchema.string
        let events = JSONSchema.enumeration(WebhookEvent.allCases.map(\.rawValue))
        return [
            "WebhookInput": input([("url", text), ("description", text), ("events", .array(events)), ("active", .boolean), ("rotate_secret", .boolean)]),
            "Webhook": object([("id", .integer), ("url", text), ("description", text), ("events", .array(events)), ("active", .boolean),
                               ("failures", .integer), ("disabled_at", .nullable(.dateTime)), ("disabled_reason", .nullable(text)),
                               ("secret", .nullable(text)), ("created_at", .dateTime), ("updated_at", .dateTime)]),
            "WebhookList": list("Webhook"),
            "WebhookDelivery": object([("id", .integer), ("webhook_id", .integer), ("event_id", text), ("event_type", text),
                                       ("status", .enumeration(["queued", "sending", "delivered", "failed"])), ("attempts", .integer),
                                       ("next_attempt_at", .nullable(.dateTime)), ("last_status", .nullable(.integer)), ("last_response", .nullable(text)),
                                       ("last_error", .nullable(text)), ("duration_ms", .nullable(.integer)), ("created_at", .dateTime),
                                       ("delivered_at", .nullable(.dateTime)), ("payload", text)]),
            "WebhookDeliveryList": list("WebhookDelivery"),
            "WebhookTicket": object([("number", .integer), ("subject", text), ("status", text), ("type", text), ("channel", text), ("priority", text),
                                     ("requester", .object([("id", .integer), ("email", text), ("name", text)], required: ["id", "email", "name"])),
                                     ("assignee_id", .nullable(.integer)), ("group_id", .nullable(.integer)), ("organization_id", .nullable(.integer)),
                                     ("created_at", .dateTime), ("updated_at", .dateTime)]),
            "WebhookChange": object([("field", text), ("before", .nullable(text)), ("after", .nullable(text))]),
            "WebhookEventBody": input([
                ("id", text), ("type", events), ("created_at", .dateTime), ("actor_id", .nullable(.integer)), ("ticket", .ref("WebhookTicket")),
                ("changes", .array(.ref("WebhookChange"))),
                ("comment", .object([("id", .integer), ("public", .boolean), ("body", text), ("author_id", .nullable(.integer))], required: ["id", "public"])),
                ("problem", text),
            ], required: ["id", "type", "created_at", "ticket"]),
        ]
    }

    /// The OpenAPI 3.1 `webhooks` section: what Zayavka POSTs to a subscribed URL, per event type.
    static var webhookOperations: [String: Any] {
        var out: [String: Any] = [:]
        let headers: [[String: Any]] = [
            ["name": "X-Zayavka-Event", "in": "header", "required": true, "schema": ["type": "string"], "description": "the event type"],
            ["name": "X-Zayavka-Event-Id", "in": "header", "required": true, "schema": ["type": "string"],
             "description": "the event's id: the same on every retry, so a receiver can drop repeats (delivery is at least once)"],
            ["name": "X-Zayavka-Delivery", "in": "header", "required": true, "schema": ["type": "string"], "description": "the delivery's id (in the log)"],
            ["name": "X-Zayavka-Signature", "in": "header", "required": true, "schema": ["type": "string"],
             "description": "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\" with the subscription's secret>; check it and that t is recent"],
        ]
        for event in WebhookEvent.allCases {
            out[event.rawValue] = ["post": [
                "operationId": "webhook_" + event.rawValue.replacingOccurrences(of: ".", with: "_"),
                "summary": summary(event),
                "tags": ["webhooks"],
                "parameters": headers,
                "requestBody": ["required": true, "content": ["application/json": ["schema": JSONSchema.ref("WebhookEventBody").json]]],
                "responses": ["2XX": ["description": "received; anything else (or no answer in 10 s) is retried with doubling delays"]],
            ] as [String: Any]]
        }
        return out
    }

    static func summary(_ event: WebhookEvent) -> String {
        switch event {
        case .created: "A ticket was created (any channel)."
        case .updated: "Fields of a ticket changed together: `changes` lists each with before and after."
        case .commented: "A public reply or an internal note was added: `comment` says which, with its text."
        case .statusChanged: "A ticket's status changed."
        case .solved: "A ticket was solved."
        case .closed: "A ticket was closed."
        case .problemLinked: "A ticket was linked to a known problem: `problem` is its code."
        }
    }
}
