import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

/// Conversation reviews (SPEC Q2, seed 001: "all conversations are recorded, sampled, analysed and
/// scored by management"). Every week each agent's solved conversations are sampled at random (the
/// settings say how many); managers score each against the scorecard's criteria; agents read their own.
enum ReviewService {
    // MARK: Scorecard

    private struct CriterionRow: Decodable {
        let id: Int
        let key: String
        let name_ru: String
        let name_en: String
        let weight: Int
        let position: Int
        let active: Bool

        var dto: CriterionDTO { CriterionDTO(id: id, key: key, nameRu: name_ru, nameEn: name_en, weight: weight, position: position, active: active) }
    }

    static func criteria(context: ServiceContext) async throws -> [CriterionDTO] {
        guard try context.viewer.role.isStaff else { throw ZayavkaError.forbidden(reason: "staff only") }
        return try await criterionRows(on: context.sql).map(\.dto)
    }

    private static func criterionRows(on sql: any SQLDatabase) async throws -> [CriterionRow] {
        try await sql.raw("SELECT id, key, name_ru, name_en, weight, position, active FROM review_criteria ORDER BY position, id")
            .all(decoding: CriterionRow.self)
    }

    /// Adds a criterion (with `key`) or changes one (`id`).
    static func saveCriterion(id: Int?, _ input: CriterionInput, context: ServiceContext) async throws -> CriterionDTO {
        try context.require(.manageQuality)
        let rows = try await criterionRows(on: context.sql)
        let current = try id.map { id in
            guard let row = rows.first(where: { $0.id == id }) else { throw ZayavkaError.notFound(entity: "criterion", id: String(id)) }
            return row
        }
        var errors: [FieldError] = []
        let key = current?.key ?? input.key ?? ""
        if current == nil {
            if !StatusDefinition.isValidKey(key) { errors.append(FieldError("key", .invalid)) }
            if rows.contains(where: { $0.key == key }) { throw ZayavkaError.conflict(field: "key", value: key) }
        }
        let nameRu = (input.nameRu ?? current?.name_ru ?? "").trimmingCharacters(in: .whitespaces)
        let nameEn = (input.nameEn ?? current?.name_en ?? "").trimmingCharacters(in: .whitespaces)
        if nameRu.isEmpty { errors.append(FieldError("name_ru", .required)) }
        if nameEn.isEmpty { errors.append(FieldError("name_en", .required)) }
        for (field, value) in [("name_ru", nameRu), ("name_en", nameEn)] where value.isOver(200) { errors.append(FieldError(field, .tooLong, "200")) }
        let weight = input.weight ?? current?.weight ?? 10
        if !(0...100).contains(weight) { errors.append(FieldError("weight", .invalid, "0…100")) }
        let position = input.position ?? current?.position ?? ((rows.map(\.position).max() ?? 0) + 10)
        if !(0...1_000_000).contains(position) { errors.append(FieldError("position", .invalid, "0…1000000")) }
        let active = input.active ?? current?.active ?? true
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let savedID: Int = try await context.write { db in
            let sql = db as! any SQLDatabase
            if let id {
                try await sql.raw("""
                    UPDATE review_criteria SET name_ru = \(bind: nameRu), name_en = \(bind: nameEn), weight = \(bind: weight),
                           position = \(bind: position), active = \(bind: active) WHERE id = \(bind: id)
                    """).run()
                return id
            }
            return try await sql.raw("""
                INSERT INTO review_criteria (key, name_ru, name_en, weight, position, active)
                VALUES (\(bind: key), \(bind: nameRu), \(bind: nameEn), \(bind: weight), \(bind: position), \(bind: active)) RETURNING id
                """).first()!.decode(column: "id", as: Int.self)
        }
        guard let saved = try await criterionRows(on: context.sql).first(where: { $0.id == savedID }) else {
            throw ZayavkaError.notFound(entity: "criterion", id: String(savedID))
        }
        return saved.dto
    }

    // MARK: Sampling

    private struct CandidateRow: Decodable {
        let id: Int
        let assignee_id: Int
    }

    /// Weeks this instance has sampled already (the database decides; this only saves a query a round).
    private static let sampledWeeks = NIOLockedValueBox(Set<String>())

    /// Draws the sample of `week` (its Monday): for every agent with conversations solved that week
    /// and no sample yet, up to the settings' number of them at random. Returns how many were added.
    @discardableResult
    static func sample(week: LocalDate, context: ServiceContext) async throws -> Int {
        let settings = try await QualitySettingsService.current(services: context.services, on: context.sql)
        let catalog = try await context.services.catalog.snapshot(context.db)
        let finished = catalog.statuses.filter { $0.category == .solved || $0.category == .closed }.map(\.key)
        let (start, end) = ReviewWeek.bounds(week)
        let weekKey = week.description
        guard settings.reviewsPerAgentPerWeek > 0, !finished.isEmpty else { return 0 }
        let rows = try await context.sql.raw("""
            SELECT t.id, t.assignee_id FROM tickets t JOIN users u ON u.id = t.assignee_id
            WHERE t.solved_at >= \(bind: start) AND t.solved_at < \(bind: end) AND t.status IN (\(binds: finished))
              AND u.role <> 'customer'
              AND NOT EXISTS (SELECT 1 FROM review_rounds r WHERE r.agent_id = t.assignee_id AND r.week = \(bind: weekKey))
            """).all(decoding: CandidateRow.self)
        var candidates: [Int: [Int]] = [:]
        for row in rows { candidates[row.assignee_id, default: []].append(row.id) }
        var generator = SystemRandomNumberGenerator()
        let picked = ReviewSampling.sample(candidates, perAgent: settings.reviewsPerAgentPerWeek, using: &generator)
        guard !picked.isEmpty else { return 0 }
        let now = context.now
        return try await context.write { db in
            let sql = db as! any SQLDatabase
            var added = 0
            for agent in picked.keys.sorted() {
                // Whichever instance (or manager) claims the agent's week first draws its sample.
                let claimed = try await sql.raw("""
                    INSERT INTO review_rounds (agent_id, week, created_at) VALUES (\(bind: agent), \(bind: weekKey), \(bind: now))
                    ON CONFLICT (agent_id, week) DO NOTHING RETURNING id
                    """).first()
                guard claimed != nil else { continue }
                for ticket in picked[agent] ?? [] {
                    let inserted = try await sql.raw("""
                        INSERT INTO reviews (ticket_id, agent_id, week, status, comment, created_at)
                        VALUES (\(bind: ticket), \(bind: agent), \(bind: weekKey), 'pending', '', \(bind: now))
                        ON CONFLICT (ticket_id) DO NOTHING RETURNING id
                        """).first()
                    if inserted != nil { added += 1 }
                }
            }
            return added
        }
    }

    /// The periodic job: once a week has ended, its sample is drawn.
    static func sampleLastWeek(context: ServiceContext) async throws -> Int {
        let lastWeek = ReviewWeek.monday(of: context.now).adding(days: -7)
        if sampledWeeks.withLockedValue({ $0.contains(lastWeek.description) }) { return 0 }
        let added = try await sample(week: lastWeek, context: context)
        sampledWeeks.withLockedValue { _ = $0.insert(lastWeek.description) }
        return added
    }

    // MARK: Reviews

    struct ReviewRow: Decodable {
        let id: Int
        let ticket_id: Int
        let number: Int
        let subject: String
        let agent_id: Int
        let agent_name: String
        let week: String
        let status: String
        let reviewer_id: Int?
        let reviewer_name: String?
        let total: Double?
        let comment: String
        let created_at: Date
        let reviewed_at: Date?
    }

    private struct ScoreRow: Decodable {
        let review_id: Int
        let criterion_id: Int
        let key: String
        let score: Int
        let comment: String
    }

    private static let select: SQLQueryString = """
        SELECT r.id, r.ticket_id, t.number, t.subject, r.agent_id, a.name AS agent_name, r.week, r.status, r.reviewer_id,
               v.name AS reviewer_name, r.total, r.comment, r.created_at, r.reviewed_at
        FROM reviews r JOIN tickets t ON t.id = r.ticket_id JOIN users a ON a.id = r.agent_id LEFT JOIN users v ON v.id = r.reviewer_id
        """

    /// Reviews newest week first: managers see all (or one agent's), an agent only their own.
    static func list(agentID: Int?, week: String?, status: String?, limit: Int, context: ServiceContext) async throws -> [ReviewDTO] {
        let viewer = try context.viewer
        guard viewer.role.isStaff else { throw ZayavkaError.forbidden(reason: "staff only") }
        var query = select + " WHERE 1 = 1"
        if !viewer.role.can(.manageQuality) {
            query = query + " AND r.agent_id = \(bind: viewer.userID) AND r.status = 'done'"
        } else if let agentID {
            query = query + " AND r.agent_id = \(bind: agentID)"
        }
        if let week { query = query + " AND r.week = \(bind: week)" }
        if let status { query = query + " AND r.status = \(bind: status)" }
        let rows = try await context.sql.raw(query + " ORDER BY r.week DESC, a.name, r.id LIMIT \(bind: limit)").all(decoding: ReviewRow.self)
        return try await dtos(rows, on: context.sql)
    }

    static func get(id: Int, context: ServiceContext) async throws -> ReviewDTO {
        let viewer = try context.viewer
        guard viewer.role.isStaff, let row = try await context.sql.raw(select + " WHERE r.id = \(bind: id)").first(decoding: ReviewRow.self),
              viewer.role.can(.manageQuality) || (row.agent_id == viewer.userID && row.status == "done")
        else { throw ZayavkaError.notFound(entity: "review", id: String(id)) }
        return try await dtos([row], on: context.sql)[0]
    }

    private static func dtos(_ rows: [ReviewRow], on sql: any SQLDatabase) async throws -> [ReviewDTO] {
        guard !rows.isEmpty else { return [] }
        let scores = try await sql.raw("""
            SELECT s.review_id, s.criterion_id, c.key, s.score, s.comment FROM review_scores s JOIN review_criteria c ON c.id = s.criterion_id
            WHERE s.review_id IN (\(binds: rows.map(\.id))) ORDER BY c.position, c.id
            """).all(decoding: ScoreRow.self)
        return rows.map { row in
            ReviewDTO(id: row.id, ticketNumber: row.number, subject: row.subject, agent: PersonRef(id: row.agent_id, name: row.agent_name),
                      week: row.week, status: row.status, reviewer: row.reviewer_id.map { PersonRef(id: $0, name: row.reviewer_name ?? "") },
                      total: row.total, comment: row.comment,
                      scores: scores.filter { $0.review_id == row.id }.map { ReviewScoreDTO(criterion: $0.key, score: $0.score, comment: $0.comment) },
                      createdAt: row.created_at, reviewedAt: row.reviewed_at)
        }
    }

    /// A manager scores a review: every active criterion 0–5 with an optional comment. Scoring again replaces the scores.
    static func score(id: Int, _ input: ReviewScoreInput, context: ServiceContext) async throws -> ReviewDTO {
        try context.require(.manageQuality)
        _ = try await get(id: id, context: context)
        let criteria = try await criterionRows(on: context.sql).filter(\.active)
        var errors: [FieldError] = []
        var scored: [(criterion: CriterionRow, score: Int, comment: String)] = []
        for (index, item) in input.scores.enumerated() {
            guard let criterion = criteria.first(where: { $0.key == item.criterion }) else {
                errors.append(FieldError("scores.\(index).criterion", .unknownValue, item.criterion))
                continue
            }
            if !(0...ReviewScoring.maxScore).contains(item.score) { errors.append(FieldError("scores.\(index).score", .invalid, "0…\(ReviewScoring.maxScore)")) }
            let comment = (item.comment ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if comment.isOver(2_000) { errors.append(FieldError("scores.\(index).comment", .tooLong, "2000")) }
            if scored.contains(where: { $0.criterion.id == criterion.id }) { errors.append(FieldError("scores.\(index).criterion", .invalid, item.criterion)) }
            scored.append((criterion, item.score, comment))
        }
        for criterion in criteria where !scored.contains(where: { $0.criterion.id == criterion.id }) {
            errors.append(FieldError("scores.\(criterion.key)", .required))
        }
        let comment = (input.comment ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if comment.isOver(5_000) { errors.append(FieldError("comment", .tooLong, "5000")) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        let total = ReviewScoring.total(scored.map { ($0.criterion.weight, $0.score) })
        let (now, reviewer) = (context.now, try context.viewer.userID)
        let rows = scored.map { ($0.criterion.id, $0.score, $0.comment) }
        try await context.write { db in
            let sql = db as! any SQLDatabase
            try await sql.raw("DELETE FROM review_scores WHERE review_id = \(bind: id)").run()
            for (criterion, score, text) in rows {
                try await sql.raw("""
                    INSERT INTO review_scores (review_id, criterion_id, score, comment) VALUES (\(bind: id), \(bind: criterion), \(bind: score), \(bind: text))
                    """).run()
            }
            try await sql.raw("""
                UPDATE reviews SET status = 'done', reviewer_id = \(bind: reviewer), total = \(bind: total), comment = \(bind: comment),
                       reviewed_at = \(bind: now) WHERE id = \(bind: id)
                """).run()
        }
        return try await get(id: id, context: context)
    }

    // MARK: Scores over time

    private struct SummaryRow: Decodable {
        let agent_id: Int
        let agent_name: String
        let week: String
        let key: String
        let average: Double
        let reviews: Int
    }

    /// Average score per agent, week and criterion (and the weighted total as criterion "total")
    /// for weeks `from`…`to`; agents see only their own.
    static func summary(from: LocalDate, to: LocalDate, context: ServiceContext) async throws -> [ReviewSummaryDTO] {
        let viewer = try context.viewer
        guard viewer.role.isStaff else { throw ZayavkaError.forbidden(reason: "staff only") }
        let own: SQLQueryString = viewer.role.can(.manageQuality) ? "" : " AND r.agent_id = \(bind: viewer.userID)"
        let range: SQLQueryString = " AND r.week >= \(bind: from.description) AND r.week <= \(bind: to.description)"
        let perCriterion = try await context.sql.raw("""
            SELECT r.agent_id, a.name AS agent_name, r.week, c.key, AVG(s.score * 1.0) AS average, COUNT(*) AS reviews
            FROM reviews r JOIN review_scores s ON s.review_id = r.id JOIN review_criteria c ON c.id = s.criterion_id JOIN users a ON a.id = r.agent_id
            WHERE r.status = 'done'
            """ + range + own + " GROUP BY r.agent_id, a.name, r.week, c.key").all(decoding: SummaryRow.self)
        let totals = try await context.sql.raw("""
            SELECT r.agent_id, a.name AS agent_name, r.week, 'total' AS key, AVG(r.total) AS average, COUNT(*) AS reviews
            FROM reviews r JOIN users a ON a.id = r.agent_id WHERE r.status = 'done' AND r.total IS NOT NULL
            """ + range + own + " GROUP BY r.agent_id, a.name, r.week").all(decoding: SummaryRow.self)
        return (perCriterion + totals)
            .sorted { ($0.agent_name, $0.agent_id, $0.week, $0.key) < ($1.agent_name, $1.agent_id, $1.week, $1.key) }
            .map { ReviewSummaryDTO(agent: PersonRef(id: $0.agent_id, name: $0.agent_name), week: $0.week, criterion: $0.key,
                                    average: ($0.average * 100).rounded() / 100, reviews: $0.reviews) }
    }
}
