import Foundation
import Plot
import ZayavkaCore

/// A ticket's conversation as one timeline: replies, internal notes (visibly different), their
/// files with image previews, and the system events folded in between.
struct TimelineModel: Sendable {
    enum Entry: Sendable {
        case comment(CommentDTO)
        case event(EventDTO)

        var at: Date {
            switch self {
            case .comment(let c): c.createdAt
            case .event(let e): e.createdAt
            }
        }
    }

    var entries: [Entry]
    /// Status names and people's names, to describe events in words.
    var statusNames: [String: String]
    var peopleNames: [Int: String]
    /// Comment → the received message it came from (staff get a link to the original).
    var mailMessages: [Int: Int] = [:]
    /// Route key → name, for `routed` events.
    var routeNames: [String: String] = [:]
    /// Group id → name and the intake questions, so history shows names, not ids and keys.
    var groupNames: [Int: String] = [:]
    var organizationNames: [Int: String] = [:]
    var intake: [IntakeFieldDefinition] = []
    /// The agent console: public replies offer "make an article from this answer".
    var staffTools = false

    /// Merges comments and events in time order; events that only announce a comment are dropped
    /// (the comment itself is shown), and so are the creation's own field settings.
    init(comments: [CommentDTO], events: [EventDTO], statusNames: [String: String], peopleNames: [Int: String]) {
        let shown = events.filter { ![EventKind.commentAdded.rawValue, EventKind.noteAdded.rawValue, EventKind.attachmentAdded.rawValue].contains($0.kind) }
        entries = (comments.map(Entry.comment) + shown.map(Entry.event)).enumerated()
            .sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        self.statusNames = statusNames
        self.peopleNames = peopleNames
    }
}

enum TimelineView {
    static func render(_ model: TimelineModel, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .div(
            .class("thread"), .id("timeline"),
            .forEach(model.entries) { entry in
                switch entry {
                case .comment(let comment): self.comment(comment, l, mail: model.mailMessages[comment.id], staffTools: model.staffTools)
                case .event(let event): self.event(event, model, l)
                }
            }
        )
    }

    static func comment(_ comment: CommentDTO, _ l: L, mail: Int? = nil, staffTools: Bool = false) -> Node<HTML.BodyContext> {
        .element(named: "article", nodes: [
            .class(comment.public ? "entry reply" : "entry note"),
            .attr("id", "comment-\(comment.id)"),
            .div(.class("meta"),
                 .strong(.t(comment.author?.name ?? l("Система", "System"))),
                 .unwrap(comment.public ? nil : l("Внутренняя заметка", "Internal note")) { .span(.class("badge"), .t($0)) },
                 // Mail whose sender could not be verified (SenderVerification): anyone can write any From:.
                 .if(comment.senderVerified == false,
                     .span(.class("badge warning unverified-sender"),
                           .attr("title", l("Это не ответ на наше письмо этому адресу, и подпись DKIM/SPF не подтверждена сервером",
                                            "Not an answer to our mail to this address, and no server confirmed DKIM/SPF")),
                           .t(l("отправитель не подтверждён", "sender not verified")))),
                 .element(named: "time", nodes: [.attr("datetime", l.iso(comment.createdAt)), .t(l.dateTime(comment.createdAt))]),
                 // How it came in is the team's business; a customer knows how they wrote.
                 .if(staffTools, .span(.class("muted"), .t(l.localizer.name(comment.source)))),
                 .unwrap(mail) { .a(.class("muted original-mail"), .href(SitePath.adminMailRaw($0).path), .t(l("исходное письмо", "original message"))) },
                 .if(staffTools && comment.public, .a(.class("muted make-article"), .href(SitePath.agentArticleNew.path + "?from_comment=\(comment.id)"),
                                                      .t(l("сделать статью из ответа", "make an article from this answer"))))),
            .div(.class("body"), .t(comment.body)),
            .if(!comment.attachments.isEmpty, files(comment.attachments, l)),
        ])
    }

    static func files(_ files: [AttachmentDTO], _ l: L) -> Node<HTML.BodyContext> {
        .div(.class("files"), .forEach(files) { file in
            let href = SitePath.file(file.id).path
            if file.contentType.lowercased().hasPrefix("image/"), ["image/png", "image/jpeg", "image/gif", "image/webp"].contains(file.contentType.lowercased()) {
                return .a(.href(href), .attr("target", "_blank"), .attr("rel", "noopener"),
                          .img(.src(href), .attr("alt", file.filename), .attribute(named: "loading", value: "lazy")),
                          .t(file.filename + " · " + l.fileSize(file.size)))
            }
            return .a(.href(href), .attr("download", file.filename), .t("📎 " + file.filename + " · " + l.fileSize(file.size)))
        })
    }

    static func event(_ event: EventDTO, _ model: TimelineModel, _ l: L) -> Node<HTML.BodyContext> {
        .div(.class("entry event"),
             .element(named: "time", nodes: [.attr("datetime", l.iso(event.createdAt)), .t(l.dateTime(event.createdAt))]),
             .t(" · " + (event.actor?.name ?? l("Система", "System")) + ": " + describe(event, model, l)))
    }

    static func describe(_ event: EventDTO, _ model: TimelineModel, _ l: L) -> String {
        func status(_ key: String?) -> String { key.map { model.statusNames[$0] ?? $0 } ?? "—" }
        func person(_ id: String?) -> String { id.flatMap(Int.init).flatMap { model.peopleNames[$0] } ?? (id == nil ? l("никто", "nobody") : "#\(id!)") }
        switch EventKind(rawValue: event.kind) {
        case .created: return l("создал(а) заявку", "filed the ticket")
        case .statusChanged: return l("статус «\(status(event.before))» → «\(status(event.after))»", "status “\(status(event.before))” → “\(status(event.after))”")
        case .assigned: return l("исполнитель: \(person(event.before)) → \(person(event.after))", "assignee: \(person(event.before)) → \(person(event.after))")
        case .slaWarning:
            let metric = SLAMetricNames.name(event.field ?? "", l.language)
            return l("скоро истекает срок SLA «\(metric)»", "the SLA target “\(metric)” is close")
        case .slaBreached:
            let metric = SLAMetricNames.name(event.field ?? "", l.language)
            return l("нарушен срок SLA «\(metric)»", "the SLA target “\(metric)” is breached")
        case .slaRecomputed:
            func when(_ iso: String?) -> String { iso.flatMap { try? Date($0, strategy: .iso8601) }.map(l.dateTime) ?? "—" }
            let metric = SLAMetricNames.name(event.field ?? "", l.language)
            let why = (event.reason ?? "").split(separator: ",").map { fieldName(String($0), l) }.joined(separator: ", ")
            return l("срок SLA «\(metric)» пересчитан: \(when(event.before)) → \(when(event.after)), потому что изменено: \(why)",
                     "SLA “\(metric)” due time recomputed: \(when(event.before)) → \(when(event.after)), because of a change of: \(why)")
        case .answerGiven:
            let kind = event.after ?? ""
            let detail = kind == "promise" ? event.reason.flatMap { try? Date($0, strategy: .iso8601) }.map(l.dateTime) : event.reason
            let name = switch kind {
            case "solution": l("решение", "a solution")
            case "promise": l("обещан срок решения", "a promised solution time")
            default: l("обоснованный отказ", "a reasoned refusal")
            }
            return l("ответ: ", "the reply is ") + name + (detail.map { " — " + $0 } ?? "")
        case .conductWarning: return l("замечание клиенту о деловом стиле общения", "a conduct warning to the customer")
        case .banRequested: return l("запрошен бан клиента (повторное нарушение)", "a ban of the customer requested (repeat offence)")
        case .solutionConfirmed: return l("клиент подтвердил, что вопрос решён", "the customer confirmed it is solved")
        case .resolutionReported: return l("отчёт о решении отправлен клиенту", "the resolution report was sent to the customer")
        case .satisfactionRated:
            let rating = event.after == SatisfactionRating.good.rawValue ? l("«Хорошо»", "“Good”") : l("«Плохо»", "“Bad”")
            return l("оценка поддержки: ", "support rated ") + rating + (event.reason.map { " — «\($0)»" } ?? "")
        case .problemLinked: return l("связана с известной проблемой \(event.after ?? "")", "linked to the known problem \(event.after ?? "")")
        case .problemUnlinked: return l("отвязана от проблемы \(event.before ?? "")", "unlinked from the problem \(event.before ?? "")")
        case .problemUpdate: return l("новости по проблеме \(event.after ?? "") отправлены клиенту", "news about the problem \(event.after ?? "") sent to the customer")
        case .markedCritical:
            return l("критическая проблема: \(event.after ?? "") — приоритет «Срочный», диспетчеры оповещены",
                     "critical problem: \(event.after ?? "") — priority urgent, dispatchers alerted")
        case .routed:
            return l("передана по маршруту «\(model.routeNames[event.after ?? ""] ?? event.after ?? "")»",
                     "handed off along the route “\(model.routeNames[event.after ?? ""] ?? event.after ?? "")”")
        case .callLogged:
            let outcome = CallOutcomeNames.name(event.after ?? "", l)
            return event.field == "out"
                ? l("исходящий звонок на \(event.reason ?? "—"): \(outcome)", "outgoing call to \(event.reason ?? "—"): \(outcome)")
                : l("входящий звонок с \(event.reason ?? "—"): \(outcome)", "incoming call from \(event.reason ?? "—"): \(outcome)")
        case .callbackScheduled:
            let when = event.after.flatMap { try? Date($0, strategy: .iso8601) }.map(l.dateTime) ?? "—"
            return l("запланирован обратный звонок на \(event.reason ?? "—") в \(when)", "a callback to \(event.reason ?? "—") scheduled for \(when)")
        case .workPlanned:
            let parts = (event.reason ?? "").split(separator: "/").compactMap { try? Date(String($0), strategy: .iso8601) }
            let span = parts.count == 2 ? l.dateTime(parts[0]) + " — " + l.dateTime(parts[1]) : ""
            return l("работа запланирована: \(person(event.after)), \(span)", "work planned: \(person(event.after)), \(span)")
        default:
            let raw = event.field ?? ""
            let field = fieldName(raw, l, intake: model.intake)
            let (before, after) = (value(raw, event.before, model, l), value(raw, event.after, model, l))
            let escalated = event.reason?.hasPrefix("sla_breached") == true ? l(" (эскалация по SLA)", " (SLA escalation)") : ""
            return l("\(field): «\(before)» → «\(after)»", "\(field): “\(before)” → “\(after)”") + escalated
        }
    }

    /// A field's value as a person reads it: names for ids and keys, dates in the reader's zone.
    static func value(_ field: String, _ raw: String?, _ model: TimelineModel, _ l: L) -> String {
        guard let raw, !raw.isEmpty else { return l("не задано", "not set") }
        let localizer = l.localizer
        switch field {
        case "type": return TicketType(rawValue: raw).map(localizer.name) ?? raw
        case "priority": return TicketPriority(rawValue: raw).map(localizer.name) ?? raw
        case "responsibility": return Responsibility(rawValue: raw).map(localizer.name) ?? raw
        case "group_id": return Int(raw).flatMap { model.groupNames[$0] } ?? l("удалённая группа", "a deleted group")
        case "assignee_id": return Int(raw).flatMap { model.peopleNames[$0] } ?? raw
        // Placing a customer records the organization's name; other changes record its id.
        case "organization_id": return Int(raw).map { model.organizationNames[$0] ?? l("удалённая организация", "a deleted organization") } ?? raw
        case "due_at": return (try? Date(raw, strategy: .iso8601)).map(l.dateTime) ?? raw
        default:
            guard field.hasPrefix("fields."), let definition = model.intake.first(where: { $0.key == field.dropFirst(7) }) else { return raw }
            switch definition.kind {
            case .boolean: return raw == "true" ? l("да", "yes") : raw == "false" ? l("нет", "no") : raw
            case .choice: return definition.optionLabel(raw, l.language)
            default: return raw
            }
        }
    }

    static func fieldName(_ field: String, _ l: L, intake: [IntakeFieldDefinition] = []) -> String {
        switch field {
        case "subject": l("тема", "subject")
        case "type": l("тип", "type")
        case "priority": l("приоритет", "priority")
        case "urgency": l("срочность", "urgency")
        case "responsibility": l("чья сторона", "whose side")
        case "cause": l("причина", "cause")
        case "group_id": l("группа", "group")
        case "organization_id": l("организация", "organization")
        case "due_at": l("срок", "due date")
        default:
            field.hasPrefix("fields.")
                ? intake.first { $0.key == field.dropFirst(7) }.map { "«" + $0.label(l.language) + "»" } ?? String(field.dropFirst(7))
                : field
        }
    }
}

/// The outcomes of a call as people read them.
enum CallOutcomeNames {
    static func name(_ raw: String, _ l: L) -> String {
        switch CallOutcome(rawValue: raw) {
        case .answered: l("ответил", "answered")
        case .busy: l("занято", "busy")
        case .noAnswer: l("не ответил", "no answer")
        case .switchedOff: l("телефон выключен", "switched off")
        case nil: raw
        }
    }
}
