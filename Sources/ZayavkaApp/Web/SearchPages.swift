import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// The one search box (issue 17): agents search tickets (subjects, descriptions, replies and notes
/// in any word form), articles and the directory at once; a ticket number opens the ticket.
/// Customers search their own requests and the articles they may read.
enum SearchPages {
    static func ticketList(_ hits: [TicketSearchHitDTO], _ l: L, link: (Int) -> String) -> Node<HTML.BodyContext> {
        .ul(.class("kb-results"), .id("ticket-results"), .forEach(hits) { hit in
            .li(.attr("data-ticket", String(hit.number)),
                .a(.href(link(hit.number)), .class("kb-link"), .t("№\(hit.number) "), .raw(hit.subjectHtml)),
                .span(.class("badge \(hit.status)"), .t(hit.statusName)),
                .span(.class("muted"), .t(" " + hit.requester.name + " · " + l.dateTime(hit.updatedAt))),
                .p(.class("snippet"), .raw(hit.snippet)))
        })
    }

    static func agent(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let ctx = PageContext(request)
        let l = ctx.l
        let q = String((request.query[String.self, at: "q"] ?? "").prefix(2000)).trimmingCharacters(in: .whitespacesAndNewlines)
        // A ticket number opens the ticket.
        let digits = q.hasPrefix("№") || q.hasPrefix("#") ? String(q.dropFirst()).trimmingCharacters(in: .whitespaces) : q
        if !digits.isEmpty, digits.count <= 12, digits.allSatisfy(\.isNumber), let number = Int(digits) {
            let exists = try await request.sql.raw("SELECT id FROM tickets WHERE number = \(bind: number)").first()
            if exists != nil { return request.redirect(to: SitePath.agentTicket(number).path) }
        }
        let context = try request.context
        var tickets: [TicketSearchHitDTO] = []
        var articles: [KBArticleSummaryDTO] = []
        var directory: DirectorySearchDTO?
        if !q.isBlank {
            tickets = try await SearchService.tickets(q, limit: 50, context: context).items
            articles = try await SearchService.articles(q, limit: 10, context: context).items.map(KnowledgeBaseStaffPages.staffLinked)
            directory = try await DirectorySearchService.search(q, limit: 10, context: context)
        }
        // Each organization links to its card and to its open tickets in the queue.
        let people: [(String, String, String?)] = (directory?.organizations.map {
            (SitePath.directory.path + "?q=" + (q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""), $0.organization.name,
             SitePath.queue(QueueView.open.rawValue).path + "?organization_id=\($0.organization.id)")
        } ?? [])
            + (directory?.contacts.map { (SitePath.directory.path + "?q=" + ($0.email.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""), $0.name + " · " + $0.email, nil) } ?? [])
        let content: Node<HTML.BodyContext> = .group(
            .h1(.t(l("Поиск", "Search"))),
            KnowledgeBasePages.searchBox(.agentSearch, q: q, l, id: "search-q",
                                         placeholder: l("Номер заявки, слова из переписки, клиент, ИНН", "Ticket number, words from the conversation, customer, INN")),
            q.isBlank ? .empty : .group(
                .h2(.t(l("Заявки", "Tickets") + " (\(tickets.count)\(tickets.count == 50 ? "+" : ""))")),
                tickets.isEmpty ? .p(.class("muted"), .id("no-tickets"), .t(l("Заявок с этими словами нет.", "No tickets with these words."))) : ticketList(tickets, l) { SitePath.agentTicket($0).path },
                .h2(.t(l("Статьи", "Articles"))),
                articles.isEmpty ? .p(.class("muted"), .t(l("Статей нет.", "No articles."))) : KnowledgeBasePages.results(articles, l, id: "article-results"),
                .h2(.t(l("Клиенты и организации", "Customers and organizations"))),
                people.isEmpty ? .p(.class("muted"), .t(l("Никого не нашлось.", "Nobody found.")))
                    : .ul(.id("people-results"), .forEach(people) { person in
                        .li(.a(.href(person.0), .t(person.1)),
                            .unwrap(person.2) { .group(.t(" · "), .a(.class("org-queue"), .href($0), .t(l("открытые заявки", "open tickets")))) })
                    }))
        )
        return Layout.render(l("Поиск", "Search"), ctx, content)
    }

    static func portal(_ request: Request) async throws -> Response {
        guard request.signedInIfAny != nil else { throw WebError.signInRequired }
        let ctx = PageContext(request)
        let l = ctx.l
        let q = String((request.query[String.self, at: "q"] ?? "").prefix(2000))
        let context = try request.context
        var tickets: [TicketSearchHitDTO] = []
        var articles: [KBArticleSummaryDTO] = []
        if !q.isBlank {
            tickets = try await SearchService.tickets(q, limit: 50, context: context).items
            articles = try await SearchService.articles(q, limit: 10, context: context).items
        }
        let content: Node<HTML.BodyContext> = .group(
            .h1(.t(l("Поиск", "Search"))),
            KnowledgeBasePages.searchBox(.portalSearch, q: q, l, id: "portal-q"),
            q.isBlank ? .empty : .group(
                .h2(.t(l("Мои заявки", "My requests"))),
                tickets.isEmpty ? .p(.class("muted"), .id("no-tickets"), .t(l("В ваших заявках этих слов нет.", "None of your requests has these words.")))
                    : ticketList(tickets, l) { SitePath.portalRequest($0).path },
                .h2(.t(l("База знаний", "Knowledge base"))),
                articles.isEmpty ? .p(.class("muted"), .t(l("Статей нет.", "No articles."))) : KnowledgeBasePages.results(articles, l, id: "article-results", from: "suggest"))
        )
        return Layout.render(l("Поиск", "Search"), ctx, content)
    }
}
