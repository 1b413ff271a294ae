import Fluent
import Foundation
import Plot
import Prometheus
import SQLKit
import Vapor
import ZayavkaCore

/// Registers the API from `API.endpoints`, plus health, metrics, the OpenAPI document and the home page.
func routes(_ app: Application) throws {
    let authenticated = app.grouped(BearerAuthMiddleware())
    let optional = app.grouped(OptionalBearerAuthMiddleware())
    let widget = app.grouped(WidgetAuthMiddleware())
    for endpoint in API.endpoints {
        let router: any RoutesBuilder = endpoint.widget ? widget : endpoint.authenticated ? authenticated : endpoint.signInOptional ? optional : app
        let inner = endpoint.handler
        let handler: @Sendable (Request) async throws -> Response = { request in
            try EndpointInput.check(endpoint, request)
            return try await inner(request)
        }
        switch endpoint.body {
        case .upload, .csv, .message, .image:
            // Streamed bodies: one a handler refused before reading it is drained (see UnreadBody).
            router.on(endpoint.method, endpoint.routeComponents, body: .stream) { try await $0.drainingBody(handler) }
        default:
            router.on(endpoint.method, endpoint.routeComponents) { try await handler($0) }
        }
    }

    app.get("api", "v1", "openapi.json") { req -> Response in
        let document = OpenAPIDocument.document(serverURL: req.services.configuration.publicURL)
        let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(data: data))
    }

    /// Liveness and database reachability, for load balancers and orchestration.
    app.get("healthz") { req -> Response in
        do {
            _ = try await req.sql.raw("SELECT 1 AS ok").first()
            return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: #"{"status":"ok","database":"ok"}"#))
        } catch {
            req.logger.error("health check failed", metadata: ["error": "\(error)"])
            return Response(status: .serviceUnavailable, headers: ["Content-Type": "application/json"],
                            body: .init(string: #"{"status":"unavailable","database":"unreachable"}"#))
        }
    }

    /// Prometheus metrics: only for the configured addresses (loopback by default) or with the metrics token.
    app.get("metrics") { req -> Response in
        let configuration = req.services.configuration
        let address = req.remoteAddress?.ipAddress ?? ""
        let tokenMatches = configuration.metricsToken.map { expected in
            WebSessions.tokensMatch(req.headers.bearerAuthorization?.token, expected)
        } ?? false
        guard tokenMatches || configuration.metricsAllowedAddresses.contains(address) else {
            throw ZayavkaError.forbidden(reason: "metrics")
        }
        return Response(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4"], body: .init(string: prometheusRegistry.emitToString()))
    }

    WebRoutes.register(app)
}
