import Foundation
import Vapor
import ZayavkaCore

extension Request {
    /// A `week` query or body value: any day (YYYY-MM-DD) of the week, as its Monday.
    func week(_ raw: String?, field: String = "week", into errors: inout [FieldError]) -> LocalDate? {
        guard let raw, !raw.isEmpty else { return nil }
        guard raw.count == 10, let day = LocalDate(raw) else {
            errors.append(FieldError(field, .invalid, "YYYY-MM-DD"))
            return nil
        }
        return day.adding(days: -day.weekdayIndex)
    }
}

extension QualityLinks.Refusal {
    /// A refused link as an API error: the same 404 for a forged link and one naming nothing, 410 for an expired one.
    var apiError: ZayavkaError {
        switch self {
        case .invalid: .notFound(entity: "link", id: "")
        case .expired: .gone(reason: "link expired")
        }
    }
}

/// Runs `work`, turning a refused quality link into its API error.
private func opening<T>(_ work: () async throws -> T) async throws -> T {
    do { return try await work() } catch let refusal as QualityLinks.Refusal { throw refusal.apiError }
}

extension API {
    /// Quality (issue 18): resolution reports, satisfaction surveys, service feedback, reviews, settings.
    static let quality: [Endpoint] = [
        Endpoint(method: .GET, path: "/tickets/{number}/resolutions", operationID: "listResolutions", tag: "quality",
                 summary: "The ticket's resolution reports, oldest first (what was fixed, how, how to prevent it, what to check) with the customer's answer.",
                 authenticated: true, body: .none, query: [], responses: [(200, "ResolutionList"), (404, "Error")],
                 handler: json { req in ListOf(items: try await ResolutionService.list(number: try req.intParameter("number"), context: try req.context), nextCursor: nil) }),
        Endpoint(method: .POST, path: "/quality/links/resolution", operationID: "answerResolution", tag: "quality",
                 summary: "The customer's answer to a solved mail's link, without signing in: works (confirms the solution) or not_working with what is wrong (posted as their reply; the ticket reopens).",
                 authenticated: false, body: .json("ResolutionAnswerInput"), query: [],
                 responses: [(200, "Resolution"), (404, "Error"), (409, "Error"), (410, "Error"), (422, "Error")],
                 handler: json { req in
                     let input = try req.content.decode(ResolutionAnswerInput.self)
                     return try await opening { try await QualityAnswers.answerResolution(token: input.token, answer: input.answer, text: input.text,
                                                                                          application: req.application, now: Date()) }
                 }),
        Endpoint(method: .GET, path: "/tickets/{number}/satisfaction", operationID: "listTicketSurveys", tag: "quality",
                 summary: "The satisfaction surveys of a ticket: the customer's rating and comment (staff also see surveys not sent, and why).",
                 authenticated: true, body: .none, query: [], responses: [(200, "SurveyList"), (404, "Error")],
                 handler: json { req in ListOf(items: try await SatisfactionService.forTicket(number: try req.intParameter("number"), context: try req.context), nextCursor: nil) }),
        Endpoint(method: .GET, path: "/satisfaction", operationID: "listRatings", tag: "quality",
                 summary: "Rated surveys, newest first (managers): all, good or bad, one agent's.", authenticated: true, body: .none,
                 query: [.init(name: "rating", schema: .enumeration(["good", "bad"]), description: "only this rating"),
                         .init(name: "agent_id", schema: .integer, description: "only tickets assigned to this agent"),
                         .init(name: "limit", schema: .integer, description: "page size, 1…500 (100)"),
                         .init(name: "cursor", schema: .string, description: "next_cursor of the previous page")],
                 responses: [(200, "SurveyList"), (403, "Error"), (422, "Error")],
                 handler: json { req in
                     var errors: [FieldError] = []
                     let rating = req.choice("rating", ["good", "bad"], into: &errors).flatMap(SatisfactionRating.init(rawValue:))
                     let agent = req.intQuery("agent_id", into: &errors)
                     let cursor = req.intQuery("cursor", into: &errors)
                     let limit = req.listLimit(into: &errors)
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     return try await SatisfactionService.list(rating: rating, agentID: agent, before: cursor, limit: limit, context: try req.context)
                 }),
        Endpoint(method: .POST, path: "/quality/links/survey", operationID: "rateSupport", tag: "quality",
                 summary: "Rate the support through the survey mail's link, without signing in: a rating, a comment, or both; changeable while the link is valid.",
                 authenticated: false, body: .json("SurveyRatingInput"), query: [],
                 responses: [(200, "Survey"), (404, "Error"), (410, "Error"), (422, "Error")],
                 handler: json { req in
                     let input = try req.content.decode(SurveyRatingInput.self)
                     let context = ServiceContext.system(req.application)
                     return try await opening {
                         let link = try await QualityLinks.open(input.token, now: context.now, services: context.services, on: context.sql)
                         return try await SatisfactionService.rate(link: link, rating: input.rating, comment: input.comment, context: context).dto(staff: false)
                     }
                 }),
        Endpoint(method: .POST, path: "/feedback", operationID: "sendFeedback", tag: "quality",
                 summary: "A remark about the support service itself (anyone; a signed-in person's name and address fill what is left out).",
                 authenticated: false, body: .json("FeedbackInput"), query: [], responses: [(201, "FeedbackReceipt"), (422, "Error")],
                 signInOptional: true,
                 handler: json(.created) { req in
                     FeedbackReceiptDTO(id: try await FeedbackService.submit(try req.content.decode(FeedbackInput.self), context: try req.context))
                 }),
        Endpoint(method: .GET, path: "/feedback", operationID: "listFeedback", tag: "quality",
                 summary: "Remarks about the service, newest first (managers).", authenticated: true, body: .none,
                 query: [.init(name: "status", schema: .enumeration(FeedbackService.statuses), description: "only this status"),
                         .init(name: "limit", schema: .integer, description: "page size, 1…500 (100)"),
                         .init(name: "cursor", schema: .string, description: "next_cursor of the previous page")],
                 responses: [(200, "FeedbackList"), (403, "Error"), (422, "Error")],
                 handler: json { req in
                     var errors: [FieldError] = []
                     let status = req.choice("status", FeedbackService.statuses, into: &errors)
                     let cursor = req.intQuery("cursor", into: &errors)
                     let limit = req.listLimit(into: &errors)
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     return try await FeedbackService.list(status: status, before: cursor, limit: limit, context: try req.context)
                 }),
        Endpoint(method: .PATCH, path: "/feedback/{id}", operationID: "updateFeedback", tag: "quality",
                 summary: "Move a remark on (new, in_progress, done) and note what was done (managers).", authenticated: true,
                 body: .json("FeedbackPatchInput"), query: [], responses: [(200, "Feedback"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json { req in
                     try await FeedbackService.update(id: try req.intParameter("id", entity: "feedback"), try req.content.decode(FeedbackPatchInput.self),
                                                      context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/quality/settings", operationID: "getQualitySettings", tag: "quality",
                 summary: "Survey timing, resolution report requirements per type, the review sample (managers).", authenticated: true,
                 body: .none, query: [], responses: [(200, "QualitySettings"), (403, "Error")],
                 handler: json { req in QualitySettingsDTO(try await QualitySettingsService.get(context: try req.context)) }),
        Endpoint(method: .PATCH, path: "/quality/settings", operationID: "updateQualitySettings", tag: "quality",
                 summary: "Change quality settings (managers); only the keys given change, all are checked first.", authenticated: true,
                 body: .json("QualitySettingsInput"), query: [], responses: [(200, "QualitySettings"), (403, "Error"), (422, "Error")],
                 handler: json { req in
                     QualitySettingsDTO(try await QualitySettingsService.save(try req.content.decode(QualitySettingsInput.self).values, context: try req.context))
                 }),
        Endpoint(method: .GET, path: "/reviews/criteria", operationID: "listReviewCriteria", tag: "quality",
                 summary: "The review scorecard: criteria with weights (staff).", authenticated: true, body: .none, query: [],
                 responses: [(200, "CriterionList")],
                 handler: json { req in ListOf(items: try await ReviewService.criteria(context: try req.context), nextCursor: nil) }),
        Endpoint(method: .POST, path: "/reviews/criteria", operationID: "createReviewCriterion", tag: "quality",
                 summary: "Add a criterion to the scorecard (managers).", authenticated: true, body: .json("CriterionInput"), query: [],
                 responses: [(201, "Criterion"), (403, "Error"), (409, "Error"), (422, "Error")],
                 handler: json(.created) { req in try await ReviewService.saveCriterion(id: nil, try req.content.decode(CriterionInput.self), context: try req.context) }),
        Endpoint(method: .PATCH, path: "/reviews/criteria/{id}", operationID: "updateReviewCriterion", tag: "quality",
                 summary: "Change a criterion: names, weight, position, active (managers).", authenticated: true, body: .json("CriterionInput"), query: [],
                 responses: [(200, "Criterion"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json { req in
                     try await ReviewService.saveCriterion(id: try req.intParameter("id", entity: "criterion"), try req.content.decode(CriterionInput.self),
                                                          context: try req.context)
                 }),
        Endpoint(method: .POST, path: "/reviews/sample", operationID: "sampleReviews", tag: "quality",
                 summary: "Draw a week's sample now (managers; the desk draws last week's by itself): each agent's solved conversations at random, once per agent and week.",
                 authenticated: true, body: .json("ReviewSampleInput"), query: [], responses: [(200, "ReviewSample"), (403, "Error"), (422, "Error")],
                 handler: json { req in
                     let context = try req.context
                     try context.require(.manageQuality)
                     var errors: [FieldError] = []
                     let week = req.week(try req.content.decode(ReviewSampleInput.self).week, into: &errors)
                         ?? ReviewWeek.monday(of: context.now).adding(days: -7)
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     return ReviewSampleDTO(week: week.description, added: try await ReviewService.sample(week: week, context: context))
                 }),
        Endpoint(method: .GET, path: "/reviews", operationID: "listReviews", tag: "quality",
                 summary: "Reviews, newest week first: managers see all (or one agent's), agents their own finished ones.", authenticated: true, body: .none,
                 query: [.init(name: "agent_id", schema: .integer, description: "only this agent's"),
                         .init(name: "week", schema: .date, description: "only this week (any day of it)"),
                         .init(name: "status", schema: .enumeration(["pending", "done"]), description: "only this status"),
                         .init(name: "limit", schema: .integer, description: "how many, 1…500 (100)")],
                 responses: [(200, "ReviewList"), (403, "Error"), (422, "Error")],
                 handler: json { req in
                     var errors: [FieldError] = []
                     let agent = req.intQuery("agent_id", into: &errors)
                     let week = req.week(req.query[String.self, at: "week"], into: &errors)
                     let status = req.choice("status", ["pending", "done"], into: &errors)
                     let limit = req.listLimit(into: &errors)
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     return ListOf(items: try await ReviewService.list(agentID: agent, week: week?.description, status: status, limit: limit,
                                                                       context: try req.context), nextCursor: nil)
                 }),
        Endpoint(method: .GET, path: "/reviews/summary", operationID: "reviewSummary", tag: "quality",
                 summary: "Average scores per agent, week and criterion (and the weighted total) over a range of weeks (agents: their own).",
                 authenticated: true, body: .none,
                 query: [.init(name: "from", schema: .date, description: "first week (any day of it); default 12 weeks back"),
                         .init(name: "to", schema: .date, description: "last week (any day of it); default this week")],
                 responses: [(200, "ReviewSummaryList"), (403, "Error"), (422, "Error")],
                 handler: json { req in
                     var errors: [FieldError] = []
                     let context = try req.context
                     let to = req.week(req.query[String.self, at: "to"], field: "to", into: &errors) ?? ReviewWeek.monday(of: context.now)
                     let from = req.week(req.query[String.self, at: "from"], field: "from", into: &errors) ?? to.adding(days: -7 * 11)
                     if from > to { errors.append(FieldError("from", .invalid, "≤ to")) }
                     if to.daysSinceEpoch - from.daysSinceEpoch > 7 * 260 { errors.append(FieldError("from", .invalid, "at most 5 years")) }
                     if !errors.isEmpty { throw ZayavkaError.validation(errors) }
                     return ListOf(items: try await ReviewService.summary(from: from, to: to, context: context), nextCursor: nil)
                 }),
        Endpoint(method: .GET, path: "/reviews/{id}", operationID: "getReview", tag: "quality",
                 summary: "One review with its scores (managers; the agent once it is done).", authenticated: true, body: .none, query: [],
                 responses: [(200, "Review"), (404, "Error")],
                 handler: json { req in try await ReviewService.get(id: try req.intParameter("id", entity: "review"), context: try req.context) }),
        Endpoint(method: .PUT, path: "/reviews/{id}/scores", operationID: "scoreReview", tag: "quality",
                 summary: "Score a review (managers): every active criterion 0–5 with an optional comment; the total is the weighted share, 0–100.",
                 authenticated: true, body: .json("ReviewScoreInput"), query: [], responses: [(200, "Review"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json { req in
                     try await ReviewService.score(id: try req.intParameter("id", entity: "review"), try req.content.decode(ReviewScoreInput.self),
                                                   context: try req.context)
                 }),
        Endpoint(method: .GET, path: "/reports", operationID: "getReport", tag: "quality",
                 summary: "The report for a period (default: the last 30 days; at most 1,096 days) and filters (managers): volume by channel, type, cause, responsibility and urgency over time; first response and resolution in working time (median, 90th percentile); SLA compliance; backlog; satisfaction; agents; urgent requests per month. Read from daily rollups (an organization filter counts from the tickets).",
                 authenticated: true, body: .none, query: reportQuery, responses: [(200, "Report"), (403, "Error"), (422, "Error")],
                 handler: json { req in
                     let context = try req.context
                     let (period, filter) = try ReportQuery.parse(req, now: context.now)
                     return try await ReportService.report(period, filter: filter, context: context)
                 }),
        Endpoint(method: .GET, path: "/reports/export", operationID: "exportReport", tag: "quality",
                 summary: "One section of the report as CSV (`;`, UTF-8 with a byte-order mark), with the same totals as the report (managers).",
                 authenticated: true, body: .none,
                 query: reportQuery + [.init(name: "section", schema: .enumeration(ReportCSV.sections), description: "which table (series by default)")],
                 responses: [(200, "CSV"), (403, "Error"), (422, "Error")],
                 handler: respond { req in try await ReportCSV.export(req) }),
        Endpoint(method: .POST, path: "/reports/refresh", operationID: "refreshReports", tag: "quality",
                 summary: "Recompute now the days changed since the last round (managers; the desk does it every 30 s by itself).",
                 authenticated: true, body: .none, query: [], responses: [(200, "ReportRefresh"), (403, "Error")],
                 handler: json { req in
                     let context = try req.context
                     try context.require(.manageQuality)
                     return ReportRefreshDTO(days: try await ReportRollup.run(context: .system(req.application), limit: 1_000))
                 }),
    ]

    static let reportQuery: [Endpoint.QueryParameter] = [
        .init(name: "from", schema: .date, description: "first day (Moscow), default 29 days before `to`"),
        .init(name: "to", schema: .date, description: "last day (Moscow), default today"),
        .init(name: "group_id", schema: .integer, description: "only this group's tickets (0: no group)"),
        .init(name: "agent_id", schema: .integer, description: "only this agent's tickets (0: unassigned)"),
        .init(name: "organization_id", schema: .integer, description: "only this organization's tickets"),
        .init(name: "channel", schema: .enumeration(TicketChannel.allCases.map(\.rawValue)), description: "only this channel"),
        .init(name: "type", schema: .enumeration(TicketType.allCases.map(\.rawValue)), description: "only this type"),
    ]
}

extension OpenAPIDocument {
    /// Issue 18: quality.
    static var qualitySchemas: [String: JSONSchema] {
        let person = JSONSchema.ref("PersonRef")
        let text = JSONSchema.string
        let types = Dictionary(uniqueKeysWithValues: TicketType.allCases.map { ($0.rawValue, JSONSchema.array(.enumeration(["fixed", "how", "prevention"]))) })
        return [
            "ResolutionInput": input([("fixed", text), ("how", text), ("prevention", text), ("check", text)]),
            "Resolution": object([("id", .integer), ("fixed", text), ("how", text), ("prevention", text), ("check", text), ("author", .nullable(person)),
                                  ("created_at", .dateTime), ("outcome", .nullable(.enumeration(["works", "not_working"]))), ("outcome_at", .nullable(.dateTime))]),
            "ResolutionList": list("Resolution"),
            "ResolutionAnswerInput": input([("token", text), ("answer", .enumeration(["works", "not_working"])), ("text", text)], required: ["token", "answer"]),
            "Survey": object([("id", .integer), ("ticket_number", .integer), ("subject", text), ("requester", person), ("assignee", .nullable(person)),
                              ("status", .enumeration(["sent", "skipped"])), ("reason", .nullable(text)), ("solved_at", .dateTime),
                              ("sent_at", .nullable(.dateTime)), ("expires_at", .nullable(.dateTime)), ("rating", .nullable(cases(SatisfactionRating.self))),
                              ("comment", .nullable(text)), ("rated_at", .nullable(.dateTime))]),
            "SurveyList": list("Survey"),
            "SurveyRatingInput": input([("token", text), ("rating", cases(SatisfactionRating.self)), ("comment", text)], required: ["token"]),
            "FeedbackInput": input([("name", text), ("contact", text), ("body", text)], required: ["body"]),
            "FeedbackPatchInput": input([("status", .enumeration(FeedbackService.statuses)), ("note", text)]),
            "Feedback": object([("id", .integer), ("name", text), ("contact", text), ("body", text), ("user_id", .nullable(.integer)),
                                ("status", .enumeration(FeedbackService.statuses)), ("note", text), ("handled_by", .nullable(person)),
                                ("created_at", .dateTime), ("updated_at", .dateTime)]),
            "FeedbackList": list("Feedback"),
            "FeedbackReceipt": object([("id", .integer)]),
            "QualitySettings": object([("survey_enabled", .boolean), ("survey_delay_minutes", .integer), ("survey_once_per_ticket", .boolean),
                                       ("survey_valid_days", .integer), ("reviews_per_agent_per_week", .integer),
                                       ("resolution_required", .object(TicketType.allCases.map { ($0.rawValue, types[$0.rawValue]!) },
                                                                       required: TicketType.allCases.map(\.rawValue)))]),
            "QualitySettingsInput": input([("survey_enabled", .boolean), ("survey_delay_minutes", .integer), ("survey_once_per_ticket", .boolean),
                                           ("survey_valid_days", .integer), ("reviews_per_agent_per_week", .integer),
                                           ("resolution_required", .map(.array(.string)))]),
            "Criterion": object([("id", .integer), ("key", text), ("name_ru", text), ("name_en", text), ("weight", .integer), ("position", .integer),
                                 ("active", .boolean)]),
            "CriterionList": list("Criterion"),
            "CriterionInput": input([("key", text), ("name_ru", text), ("name_en", text), ("weight", .integer), ("position", .integer), ("active", .boolean)]),
            "Review": object([("id", .integer), ("ticket_number", .integer), ("subject", text), ("agent", person), ("week", .date),
                              ("status", .enumeration(["pending", "done"])), ("reviewer", .nullable(person)), ("total", .nullable(.number)),
                              ("comment", text),
                              ("scores", .array(object([("criterion", text), ("score", .integer), ("comment", text)]))),
                              ("created_at", .dateTime), ("reviewed_at", .nullable(.dateTime))]),
            "ReviewList": list("Review"),
            "ReviewScoreInput": input([("scores", .array(input([("criterion", text), ("score", .integer), ("comment", text)], required: ["criterion", "score"]))),
                                       ("comment", text)], required: ["scores"]),
            "ReviewSampleInput": input([("week", .date)]),
            "ReviewSample": object([("week", .date), ("added", .integer)]),
            "ReviewSummary": object([("agent", person), ("week", .date), ("criterion", text), ("average", .number), ("reviews", .integer)]),
            "ReviewSummaryList": list("ReviewSummary"),
            "ReportRefresh": object([("days", .integer)]),
            "Report": object([
                ("from", .date), ("to", .date), ("granularity", .enumeration(["day", "week", "month"])),
                ("totals", object([("created", .integer), ("solved", .integer), ("responded", .integer), ("backlog", .integer),
                                   ("first_response_median", .nullable(.number)), ("first_response_p90", .nullable(.number)),
                                   ("resolution_median", .nullable(.number)), ("resolution_p90", .nullable(.number)),
                                   ("good", .integer), ("bad", .integer), ("satisfaction", .nullable(.number))])),
                ("series", .array(object([("start", .date), ("created", .integer), ("solved", .integer), ("backlog", .integer),
                                          ("first_response_median", .nullable(.number)), ("resolution_median", .nullable(.number)),
                                          ("good", .integer), ("bad", .integer), ("channels", .map(.integer)), ("types", .map(.integer))]))),
                ("channels", .map(.integer)), ("types", .map(.integer)), ("priorities", .map(.integer)), ("urgencies", .map(.integer)),
                ("responsibilities", .map(.integer)),
                ("causes", .array(object([("cause", text), ("created", .integer)]))),
                ("sla", .array(object([("policy_id", .integer), ("policy", text), ("metric", text), ("metric_name", text), ("met", .integer),
                                       ("missed", .integer), ("share", .nullable(.number))]))),
                ("agents", .array(object([("agent", .nullable(person)), ("created", .integer), ("solved", .integer), ("open_now", .nullable(.integer)),
                                          ("review_score", .nullable(.number))]))),
                ("urgent_by_month", .array(object([("month", text), ("count", .integer)]))),
                ("comments", .array(object([("ticket_number", .integer), ("rating", cases(SatisfactionRating.self)), ("comment", text),
                                            ("rated_at", .nullable(.dateTime))]))),
            ]),
        ]
    }
}
