import Foundation
import SQLKit
import ZayavkaCore

/// The guided menu (issue 17, SPEC K3): a tree of buttons, each showing a message with its own
/// buttons, opening an article, or handing over to a person with the request form filled in.
/// Everyone may walk it (the portal, day and night); managers and admins build it.
enum BotService {
    static let maxNodes = 500

    private static func dto(_ row: any SQLRow) throws -> BotNodeDTO {
        let prefillText = try row.decode(column: "prefill", as: String?.self) ?? ""
        let prefill = (try? JSONDecoder().decode([String: String].self, from: Data(prefillText.utf8))) ?? [:]
        return BotNodeDTO(id: try row.decode(column: "id", as: Int.self), parentId: try row.decode(column: "parent_id", as: Int?.self),
                          position: try row.decode(column: "position", as: Int.self), labelRu: try row.decode(column: "label_ru", as: String.self),
                          labelEn: try row.decode(column: "label_en", as: String.self), messageRu: try row.decode(column: "message_ru", as: String.self),
                          messageEn: try row.decode(column: "message_en", as: String.self), action: try row.decode(column: "action", as: String.self),
                          articleId: try row.decode(column: "article_id", as: Int?.self), ticketType: try row.decode(column: "ticket_type", as: String?.self),
                          prefill: prefill)
    }

    /// The whole menu, in order (parents before their children's positions matter only among siblings).
    static func nodes(on sql: any SQLDatabase) async throws -> [BotNodeDTO] {
        try await sql.raw("""
            SELECT id, parent_id, position, label_ru, label_en, message_ru, message_en, action, article_id, ticket_type, prefill
            FROM bot_nodes ORDER BY position, id
            """).all().map(dto)
    }

    static func node(id: Int, on sql: any SQLDatabase) async throws -> BotNodeDTO {
        guard let node = try await nodes(on: sql).first(where: { $0.id == id }) else { throw ZayavkaError.notFound(entity: "bot_node", id: String(id)) }
        return node
    }

    /// Creates (`id` nil) or changes a menu item (managers and admins).
    static func save(id: Int?, _ input: BotNodeInput, context: ServiceContext) async throws -> BotNodeDTO {
        try context.require(.manageKnowledgeBase)
        let sql = context.sql
        let all = try await nodes(on: sql)
        var current: BotNodeDTO?
        if let id {
            guard let found = all.first(where: { $0.id == id }) else { throw ZayavkaError.notFound(entity: "bot_node", id: String(id)) }
            current = found
        } else if all.count >= maxNodes {
            throw ZayavkaError.validation([FieldError("node", .notAllowed, "at most \(maxNodes) items")])
        }
        var errors: [FieldError] = []
        func text(_ value: String?, _ fallback: String?, _ field: String, max: Int, required: Bool) -> String {
            let cleaned = TextInput.clean((value ?? fallback ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
            if required, cleaned.isEmpty { errors.append(FieldError(field, .required)) }
            if cleaned.count > max { errors.append(FieldError(field, .tooLong, String(max))) }
            return cleaned
        }
        let labelRu = text(input.labelRu, current?.labelRu, "label_ru", max: 120, required: true)
        let labelEn = text(input.labelEn, current?.labelEn, "label_en", max: 120, required: false)
        let messageRu = text(input.messageRu, current?.messageRu, "message_ru", max: 4000, required: false)
        let messageEn = text(input.messageEn, current?.messageEn, "message_en", max: 4000, required: false)
        let action = input.action ?? current?.action ?? BotAction.menu.rawValue
        if BotAction(rawValue: action) == nil { errors.append(FieldError("action", .unknownValue, "menu, article, handover")) }
        let position = input.position ?? current?.position ?? ((all.filter { $0.parentId == (input.parentId ?? current?.parentId) }.map(\.position).max() ?? -1) + 1)
        if !(0...100_000).contains(position) { errors.append(FieldError("position", .invalid, "0-100000")) }
        let parentID: Int? = input.parentId ?? current?.parentId
        if let parentID {
            if all.first(where: { $0.id == parentID }) == nil { errors.append(FieldError("parent_id", .unknownValue)) }
            else if let id {
                // Not inside itself.
                var cursor: Int? = parentID
                var steps = 0
                while let c = cursor, steps <= all.count {
                    if c == id { errors.append(FieldError("parent_id", .invalid)); break }
                    cursor = all.first(where: { $0.id == c })?.parentId
                    steps += 1
                }
            }
        }
        let articleID: Int? = input.articleId ?? current?.articleId
        if action == BotAction.article.rawValue {
            if let articleID {
                if try await sql.raw("SELECT id FROM kb_articles WHERE id = \(bind: articleID)").first() == nil { errors.append(FieldError("article_id", .unknownValue)) }
            } else {
                errors.append(FieldError("article_id", .required))
            }
        }
        let ticketType: String? = input.ticketType ?? current?.ticketType
        if let ticketType, TicketType(rawValue: ticketType) == nil {
            errors.append(FieldError("ticket_type", .unknownValue, TicketType.allCases.map(\.rawValue).joined(separator: ", ")))
        }
        let prefill = input.prefill ?? current?.prefill ?? [:]
        if prefill.count > 50 { errors.append(FieldError("prefill", .invalid, "at most 50")) }
        for (key, value) in prefill where key.count > 64 || value.count > 1000 || key.isEmpty {
            errors.append(FieldError("prefill", .invalid, key.prefix(64) + ""))
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let prefillJSON = String(decoding: try JSONEncoder().encode(prefill), as: UTF8.self)
        let now = context.now
        let saved = try await context.write { db -> Int in
            let sql = db as! any SQLDatabase
            if let id {
                try await sql.raw("""
                    UPDATE bot_nodes SET parent_id = \(bind: parentID), position = \(bind: position), label_ru = \(bind: labelRu), label_en = \(bind: labelEn),
                        message_ru = \(bind: messageRu), message_en = \(bind: messageEn), action = \(bind: action),
                        article_id = \(bind: action == BotAction.article.rawValue ? articleID : nil), ticket_type = \(bind: ticketType), prefill = \(bind: prefillJSON)
                    WHERE id = \(bind: id)
                    """).run()
                return id
            }
            return try await sql.raw("""
                INSERT INTO bot_nodes (parent_id, position, label_ru, label_en, message_ru, message_en, action, article_id, ticket_type, prefill, created_at)
                VALUES (\(bind: parentID), \(bind: position), \(bind: labelRu), \(bind: labelEn), \(bind: messageRu), \(bind: messageEn), \(bind: action),
                        \(bind: action == BotAction.article.rawValue ? articleID : nil), \(bind: ticketType), \(bind: prefillJSON), \(bind: now))
                RETURNING id
                """).first()!.decode(column: "id", as: Int.self)
        }
        return try await node(id: saved, on: context.sql)
    }

    /// Removes a menu item that has no items under it.
    static func delete(id: Int, context: ServiceContext) async throws {
        try context.require(.manageKnowledgeBase)
        _ = try await node(id: id, on: context.sql)
        if try await context.sql.raw("SELECT id FROM bot_nodes WHERE parent_id = \(bind: id) LIMIT 1").first() != nil {
            throw ZayavkaError.validation([FieldError("node", .notAllowed, "has items under it")])
        }
        try await context.write { db in try await (db as! any SQLDatabase).raw("DELETE FROM bot_nodes WHERE id = \(bind: id)").run() }
    }

    /// The labels along a path of node ids that really is a path from the top ("Касса → Смена → Оператор").
    static func describe(path ids: [Int], language: Language, on sql: any SQLDatabase) async throws -> String? {
        guard !ids.isEmpty, ids.count <= 20 else { return nil }
        let all = Dictionary(try await nodes(on: sql).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var parent: Int? = nil
        var labels: [String] = []
        for id in ids {
            guard let node = all[id], node.parentId == parent else { return nil }
            labels.append(language == .en && !node.labelEn.isEmpty ? node.labelEn : node.labelRu)
            parent = id
        }
        return labels.joined(separator: " → ")
    }
}

/// How often suggestions answer the question before a request is filed (issue 17, SPEC K2).
/// Each visitor (a browser, by a random cookie) leaves a trace: shown suggestions, opened an
/// article, filed a request. Counted per visitor, so repeated typing counts once.
enum DeflectionService {
    enum Kind: String { case shown, opened, filed }

    static func record(_ kind: Kind, visitor: String, articleID: Int? = nil, ticketID: Int? = nil, context: ServiceContext) async {
        guard visitor.count >= 16, visitor.count <= 64, visitor.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return }
        let now = context.now
        do {
            try await context.write { db in
                let sql = db as! any SQLDatabase
                // Typing shows suggestions many times a minute: once per visitor per half hour.
                if kind == .shown, try await sql.raw("""
                    SELECT id FROM kb_deflection WHERE visitor = \(bind: visitor) AND kind = 'shown' AND at > \(bind: now.addingTimeInterval(-1800)) LIMIT 1
                    """).first() != nil { return }
                try await sql.raw("""
                    INSERT INTO kb_deflection (visitor, kind, article_id, ticket_id, at)
                    VALUES (\(bind: visitor), \(bind: kind.rawValue), \(bind: articleID), \(bind: ticketID), \(bind: now))
                    """).run()
            }
        } catch {
            context.logger.warning("deflection not recorded", metadata: ["error": "\(error)"])
        }
    }

    /// The figures for a period (managers and admins).
    static func stats(from: Date, to: Date, context: ServiceContext) async throws -> DeflectionDTO {
        try context.require(.manageKnowledgeBase)
        let sql = context.sql
        func count(_ statement: SQLQueryString) async throws -> Int {
            try await sql.raw(statement).first()?.decode(column: "n", as: Int.self) ?? 0
        }
        let window: SQLQueryString = "at >= \(bind: from) AND at < \(bind: to)"
        let shown = try await count("SELECT COUNT(DISTINCT visitor) AS n FROM kb_deflection WHERE kind = 'shown' AND " + window)
        let opened = try await count("SELECT COUNT(DISTINCT visitor) AS n FROM kb_deflection WHERE kind = 'opened' AND " + window)
        let filed = try await count("""
            SELECT COUNT(DISTINCT o.visitor) AS n FROM kb_deflection o
            WHERE o.kind = 'opened' AND o.at >= \(bind: from) AND o.at < \(bind: to)
              AND EXISTS (SELECT 1 FROM kb_deflection f WHERE f.visitor = o.visitor AND f.kind = 'filed' AND f.at >= o.at)
            """)
        let rows = try await sql.raw("""
            SELECT a.id, a.title, a.helpful_yes, a.helpful_no, COUNT(DISTINCT o.visitor) AS opened,
                   COUNT(DISTINCT CASE WHEN NOT EXISTS (SELECT 1 FROM kb_deflection f WHERE f.visitor = o.visitor AND f.kind = 'filed' AND f.at >= o.at)
                                       THEN o.visitor END) AS deflected
            FROM kb_deflection o JOIN kb_articles a ON a.id = o.article_id
            WHERE o.kind = 'opened' AND o.at >= \(bind: from) AND o.at < \(bind: to)
            GROUP BY a.id, a.title, a.helpful_yes, a.helpful_no ORDER BY opened DESC, a.id LIMIT 50
            """).all()
        let articles = try rows.map {
            DeflectionArticleDTO(id: try $0.decode(column: "id", as: Int.self), title: try $0.decode(column: "title", as: String.self),
                                 opened: try $0.decode(column: "opened", as: Int.self), deflected: try $0.decode(column: "deflected", as: Int.self),
                                 helpfulYes: try $0.decode(column: "helpful_yes", as: Int.self), helpfulNo: try $0.decode(column: "helpful_no", as: Int.self))
        }
        return DeflectionDTO(from: from, to: to, shown: shown, opened: opened, filedAfterOpening: filed, deflected: max(0, opened - filed), articles: articles)
    }
}
