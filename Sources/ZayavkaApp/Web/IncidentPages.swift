import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// What the banner at the top of every page shows (SPEC P3): staff see the open outbreak alerts with
/// their requests and the active incidents with the words to read to callers; customers see the
/// active incidents' words in their language.
struct IncidentBanner: Sendable {
    let alerts: [OutbreakAlertDTO]
    let activeRu: [ActiveIncidentDTO]
    let activeEn: [ActiveIncidentDTO]

    var isEmpty: Bool { alerts.isEmpty && activeRu.isEmpty }
    func active(_ language: ZayavkaCore.Language) -> [ActiveIncidentDTO] { language == .en ? activeEn : activeRu }
}

/// The banner's data, read at most every 2 seconds per instance (every page shows it) and dropped
/// when this instance changes an alert or an incident.
final class IncidentBannerCache: Sendable {
    private let cache = RefreshingCache<IncidentBanner>(ttl: 2)

    func banner(_ sql: any SQLDatabase) async throws -> IncidentBanner {
        try await cache.value {
            let active = try await IncidentService.activeIncidentsInBothLanguages(on: sql)
            return IncidentBanner(alerts: try await IncidentService.openAlerts(on: sql), activeRu: active.ru, activeEn: active.en)
        }
    }

    func invalidate() { cache.invalidate() }
}

extension Request {
    private struct IncidentBannerKey: StorageKey { typealias Value = IncidentBanner }

    /// Reads the banner for a signed-in reader before a page renders (`PageContext` is synchronous).
    func loadIncidentBanner() async {
        guard signedInIfAny != nil, let sql = try? sql else { return }
        do { storage[IncidentBannerKey.self] = try await services.incidentBanner.banner(sql) } catch {
            logger.warning("the incident banner could not be read", metadata: ["error": "\(error)"])
        }
    }

    var incidentBanner: IncidentBanner? { storage[IncidentBannerKey.self] }
}

enum IncidentsView {
    /// The red banner under the header.
    static func banner(_ banner: IncidentBanner, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let active = banner.active(l.language)
        if !ctx.isStaff {
            return .forEach(active) { incident in customerBanner(incident, l) }
        }
        return .group(
            .forEach(banner.alerts) { alert in alertCard(alert, ctx, full: false) },
            .forEach(active) { incident in staffBanner(incident, l) }
        )
    }

    private static func customerBanner(_ incident: ActiveIncidentDTO, _ l: L) -> Node<HTML.BodyContext> {
        let heading: String = l("Массовый сбой", "Service incident") + " " + incident.code + ". "
        let estimate: String? = incident.estimate.map { when in l("Ориентировочное время решения: ", "Expected fix: ") + when + "." }
        return .div(.class("outbreak customer"), .id("incident-banner"), .attr("role", "alert"),
                    .strong(.t(heading)), .t(incident.text), .unwrap(estimate) { .t(" " + $0) })
    }

    private static func staffBanner(_ incident: ActiveIncidentDTO, _ l: L) -> Node<HTML.BodyContext> {
        let count: String = " · " + l("заявок: ", "tickets: ") + String(incident.tickets ?? 0)
        let estimate: String? = incident.estimate.map { when in " · " + l("решение: ", "fix: ") + when }
        let script: String = l("Скажите звонящим: ", "Tell callers: ") + "«" + incident.text + "»"
        return .div(.class("outbreak active"), .id("incident-\(incident.number)"), .attr("role", "status"),
                    .strong(.t(l("Идёт массовый сбой", "Mass incident under way") + " ")),
                    .a(.href(SitePath.problem(incident.number).path), .t(incident.code + " · " + incident.title)),
                    .t(count), .unwrap(estimate) { .t($0) },
                    .p(.class("script"), .id("incident-script-\(incident.number)"), .t(script)))
    }

    /// An open alert: what matched, and the three answers (declare, on it, not an incident).
    static func alertCard(_ alert: OutbreakAlertDTO, _ ctx: PageContext, full: Bool) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let shown = full ? alert.tickets : Array(alert.tickets.prefix(5))
        return .div(
            .class("outbreak alert"), .id("outbreak-alert-\(alert.id)"), .attr("role", "alert"),
            .strong(.t(l("Возможен массовый сбой: ", "Possible mass incident: ") + alert.failureKindName)),
            .t(" — " + l("клиентов: \(alert.customers), с \(ctx.l.dateTime(alert.since))", "customers: \(alert.customers), since \(ctx.l.dateTime(alert.since))")),
            .ul(.class("outbreak-tickets"), .forEach(shown) { ticket in
                .li(.a(.href(SitePath.agentTicket(ticket.number).path), .t("#\(ticket.number) \(ticket.subject)")),
                    .t(" · " + ticket.requester.name + (ticket.organization.map { " (\($0.name))" } ?? "") + " · " + ctx.l.dateTime(ticket.createdAt)))
            }),
            .if(alert.tickets.count > shown.count, .p(.a(.href(SitePath.incidents.path), .t(l("Все заявки →", "All requests →"))))),
            .div(
                .class("actions"),
                .form(.class("inline"), .method(.post), .action(SitePath.incidentDeclare.path), Layout.csrfField(ctx),
                      .input(.type(.hidden), .name("alert_id"), .attr("value", String(alert.id))),
                      .button(.type(.submit), .class("danger"), .id("declare-\(alert.id)"), .t(l("Объявить массовый сбой", "Declare a mass incident")))),
                alert.acknowledgedBy.map { who -> Node<HTML.BodyContext> in
                    .span(.class("muted"), .t(l("Занимается: ", "Handled by: ") + who.name))
                } ?? .form(.class("inline"), .method(.post), .action(SitePath.incidentAcknowledge.path), Layout.csrfField(ctx),
                           .input(.type(.hidden), .name("alert_id"), .attr("value", String(alert.id))),
                           .button(.type(.submit), .id("acknowledge-\(alert.id)"), .t(l("Беру в работу", "I am on it")))),
                .form(.class("inline"), .method(.post), .action(SitePath.incidentDismiss.path), Layout.csrfField(ctx),
                      .input(.type(.hidden), .name("alert_id"), .attr("value", String(alert.id))),
                      .button(.type(.submit), .class("link"), .id("dismiss-\(alert.id)"), .t(l("Это не массовый сбой", "Not a mass incident"))))
            )
        )
    }

    /// "An alert opens when 3 distinct customers report one failure kind within 15 minutes; …", with the right plurals.
    static func rule(_ settings: OutbreakSettingsDTO, _ l: L) -> String {
        let customers = l.localizer.count(settings.customers, ru: ("разный клиент", "разных клиента", "разных клиентов"),
                                          en: ("distinct customer", "distinct customers"))
        // «за 1 минуту, за 2 минуты, за 5 минут» (accusative after «за»).
        func span(_ n: Int) -> String { l.localizer.count(n, ru: ("минуту", "минуты", "минут"), en: ("minute", "minutes")) }
        return l("Оповещение открывается, когда \(customers) за \(span(settings.windowMinutes)) сообщают об одном виде сбоя; "
                 + "если никто не отреагировал за \(span(settings.reminderMinutes)), руководители оповещаются повторно.",
                 "An alert opens when \(customers) report one failure kind within \(l.minutes(settings.windowMinutes)); "
                 + "with no response in \(l.minutes(settings.reminderMinutes)) the managers are alerted again.")
    }

    /// /agent/incidents: the alerts in full, the active incidents, and declaring by hand.
    static func page(board: IncidentBoardDTO, kinds: [CriticalRuleDTO], settings: OutbreakSettingsDTO, draft: IncidentInput,
                     errors: [String: String], _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .group(
            .h1(.t(l("Массовые сбои", "Mass incidents"))),
            .p(.class("muted"), .t(rule(settings, l))),
            .h2(.t(l("Оповещения", "Alerts"))),
            board.alerts.isEmpty ? .p(.class("muted"), .id("no-alerts"), .t(l("Открытых оповещений нет.", "No open alerts."))) : .forEach(board.alerts) { alertCard($0, ctx, full: true) },
            .h2(.t(l("Идут сейчас", "Under way"))),
            board.active.isEmpty ? .p(.class("muted"), .t(l("Активных массовых сбоев нет.", "No active mass incidents.")))
                : .ul(.id("active-incidents"), .forEach(board.active) { incident in
                    .li(.a(.href(SitePath.problem(incident.number).path), .t("\(incident.code) · \(incident.title)")),
                        .t(" · " + l("заявок: \(incident.tickets ?? 0)", "tickets: \(incident.tickets ?? 0)")))
                }),
            .form(
                .class("card"), .method(.post), .action(SitePath.incidentDeclare.path), .id("declare-form"),
                Layout.csrfField(ctx),
                .h2(.t(l("Объявить вручную", "Declare by hand"))),
                .unwrap(errors["_form"]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
                Layout.row(l("Вид сбоя", "Failure kind"), for: "declare-kind", error: errors["failure_kind"],
                           .select(.attr("name", "failure_kind"), .id("declare-kind"), .forEach(kinds) { kind in
                               .opt(kind.key, kind.name, selected: draft.failureKind == kind.key)
                           })),
                Layout.row(l("Название", "Title"), for: "declare-title", hint: l("По умолчанию «Массовый сбой: вид сбоя».", "Default: “Mass incident: the kind”."),
                           error: errors["title"],
                           .input(.type(.text), .name("title"), .id("declare-title"), .attr("value", draft.title ?? ""))),
                Layout.row(l("Что сказать клиентам (рус.)", "What customers are told (Russian)"), for: "declare-text-ru", error: errors["text_ru"],
                           .textarea(.name("text_ru"), .id("declare-text-ru"), .rows(3), .t(draft.textRu ?? settings.textRu))),
                Layout.row(l("Что сказать клиентам (англ.)", "What customers are told (English)"), for: "declare-text-en", error: errors["text_en"],
                           .textarea(.name("text_en"), .id("declare-text-en"), .rows(3), .t(draft.textEn ?? settings.textEn))),
                Layout.row(l("Ещё заявки (номера через пробел)", "More requests (numbers, space-separated)"), for: "declare-tickets",
                           hint: l("Связываются все открытые заявки этого вида за последние \(settings.windowMinutes) мин. и эти.",
                                   "Every open request of this kind from the last \(settings.windowMinutes) minutes is linked, and these."),
                           error: errors["ticket_numbers"],
                           .input(.type(.text), .name("ticket_numbers"), .id("declare-tickets"),
                                  .attr("value", (draft.ticketNumbers ?? []).map(String.init).joined(separator: " ")))),
                .div(.class("actions"), .button(.type(.submit), .class("danger"), .id("declare-submit"), .t(l("Объявить массовый сбой", "Declare a mass incident"))))
            )
        )
    }
}

enum IncidentsController {
    static func show(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        return try await render(request, draft: IncidentInput(), errors: [:], status: .ok)
    }

    private static func render(_ request: Request, draft: IncidentInput, errors: [String: String], status: HTTPResponseStatus) async throws -> Response {
        let context = try request.context
        let board = try await IncidentService.board(context: context)
        let kinds = try await RoutingService.criticalRules(on: context.sql, activeOnly: true, table: .failureKinds)
        let settings = try await IncidentService.settings(on: context.sql)
        let ctx = PageContext(request)
        return Layout.render(ctx.l("Массовые сбои", "Mass incidents"), ctx, status: status,
                             IncidentsView.page(board: board, kinds: kinds, settings: settings, draft: draft, errors: errors, ctx))
    }

    static func declare(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let form = try await WebForms.read(request)
        form.discardFiles()
        var input = IncidentInput()
        var errors: [String: String] = [:]
        let l = PageContext(request).l
        if let raw = form.text("alert_id") {
            guard let id = Int(raw) else { throw ZayavkaError.notFound(entity: "outbreak_alert", id: raw) }
            input.alertId = id
        } else {
            input.failureKind = form.text("failure_kind")
            input.title = form.text("title")
            input.textRu = form.value("text_ru")
            input.textEn = form.value("text_en")
            let words = (form.text("ticket_numbers") ?? "").split(whereSeparator: { $0 == " " || $0 == "," || $0 == "#" })
            let numbers = words.compactMap { Int($0) }
            if numbers.count != words.count { errors["ticket_numbers"] = l.localizer.fieldMessage(FieldError("ticket_numbers", .invalid)) }
            input.ticketNumbers = numbers
        }
        if !errors.isEmpty { return try await render(request, draft: input, errors: errors, status: .unprocessableEntity) }
        do {
            let problem = try await IncidentService.declare(input, context: try request.context)
            return request.redirect(to: SitePath.problem(problem.number).path + "?notice=incident-declared")
        } catch let error as ZayavkaError {
            if case .notFound = error { throw error }
            return try await render(request, draft: input, errors: DirectoryPages.fieldErrors(error, l), status: { if case .conflict = error { return .conflict } else { return .unprocessableEntity } }())
        }
    }

    /// Acknowledge or dismiss: back to the page the agent was on.
    static func answer(dismiss: Bool) -> WebRoutes.Handler {
        { request in
            _ = try QueueController.requireStaff(request)
            let form = try await WebForms.read(request)
            form.discardFiles()
            guard let raw = form.text("alert_id"), let id = Int(raw) else {
                throw ZayavkaError.notFound(entity: "outbreak_alert", id: form.text("alert_id") ?? "")
            }
            let notice: String
            do {
                if dismiss { try await IncidentService.dismiss(id: id, context: try request.context) }
                else { _ = try await IncidentService.acknowledge(id: id, context: try request.context) }
                notice = dismiss ? "alert-dismissed" : "alert-acknowledged"
            } catch ZayavkaError.conflict {
                notice = "alert-closed"
            }
            return request.redirect(to: SitePath.incidents.path + "?notice=" + notice)
        }
    }
}
