import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// Managers' quality settings: surveys, resolution report requirements per type, the review
/// sample, and the scorecard's criteria.
enum QualitySettingsPage {
    static func show(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageQuality)
        return try await render(request, errors: [:], status: .ok)
    }

    static func render(_ request: Request, errors: [String: String], status: HTTPResponseStatus) async throws -> Response {
        let ctx = PageContext(request)
        let l = ctx.l
        let context = try request.context
        let settings = try await QualitySettingsService.get(context: context)
        let criteria = try await ReviewService.criteria(context: context)
        let typeNames: [(TicketType, String)] = TicketType.allCases.map { ($0, l.localizer.name($0)) }
        let partNames: [(ResolutionPart, String)] = [(.fixed, l("что исправлено", "what was fixed")), (.how, l("как", "how")),
                                                     (.prevention, l("как избежать", "how to prevent it"))]
        func check(_ name: String, _ on: Bool, _ label: String, id: String) -> Node<HTML.FormContext> {
            .element(named: "label", nodes: [.class("check"), .input(.type(.checkbox), .name(name), .value("1"), .id(id), .checked(on)), .t(" " + label)])
        }
        let surveyPart: Node<HTML.FormContext> = .div(
            .h2(.t(l("Опрос удовлетворённости", "Satisfaction survey"))),
            check("survey_enabled", settings.surveyEnabled, l("Отправлять клиенту письмо «Хорошо / Плохо» после решения", "Send the “Good / Bad” mail after a solution"), id: "q-enabled"),
            Layout.row(l("Через сколько минут после решения", "Minutes after the solution"), for: "q-delay", error: errors["survey.delay_minutes"],
                       .input(.type(.number), .name("survey_delay_minutes"), .id("q-delay"), .attr("min", "0"), .attr("max", "86400"),
                              .value(String(settings.surveyDelayMinutes)))),
            Layout.row(l("Сколько дней действуют ссылки", "Days the links work"), for: "q-valid", error: errors["survey.valid_days"],
                       .input(.type(.number), .name("survey_valid_days"), .id("q-valid"), .attr("min", "1"), .attr("max", "365"),
                              .value(String(settings.surveyValidDays)))),
            check("survey_once", settings.surveyOncePerTicket, l("Не больше одного опроса на заявку, даже если её решили повторно", "At most one survey per ticket, even if solved again"), id: "q-once"))
        func requiredRow(_ type: (TicketType, String)) -> Node<HTML.TableContext> {
            .tr(.td(.t(type.1)), .forEach(partNames) { part in
                .td(.input(.type(.checkbox), .name("required.\(type.0.rawValue).\(part.0.rawValue)"), .value("1"),
                           .id("req-\(type.0.rawValue)-\(part.0.rawValue)"), .attr("aria-label", type.1 + ": " + part.1),
                           .checked(settings.required(for: type.0).contains(part.0))))
            })
        }
        let requiredPart: Node<HTML.FormContext> = .div(
            .h2(.t(l("Отчёт о решении: обязательные части", "Resolution report: required parts"))),
            .table(.class("list"), .id("resolution-required"),
                   .thead(.tr(.th(.t(l("Тип", "Type"))), .forEach(partNames) { .th(.t($0.1)) })),
                   .tbody(.forEach(typeNames, requiredRow))))
        let reviewPart: Node<HTML.FormContext> = .div(
            .h2(.t(l("Разбор разговоров", "Conversation review"))),
            Layout.row(l("Разговоров на специалиста в неделю (случайная выборка)", "Conversations per agent per week (random sample)"), for: "q-sample",
                       error: errors["review.per_agent_per_week"],
                       .input(.type(.number), .name("reviews_per_agent_per_week"), .id("q-sample"), .attr("min", "0"), .attr("max", "100"),
                              .value(String(settings.reviewsPerAgentPerWeek)))))
        let settingsForm: Node<HTML.BodyContext> = .form(
            .method(.post), .action(SitePath.adminQualitySave.path), .id("quality-settings"),
            Layout.csrfField(ctx), surveyPart, requiredPart, reviewPart,
            .button(.type(.submit), .class("primary"), .id("quality-save"), .t(l("Сохранить", "Save")))
        )
        let criteriaTable: Node<HTML.BodyContext> = .section(
            .class("card"), .id("criteria"),
            .h2(.t(l("Критерии оценки", "Scorecard criteria"))),
            .unwrap(errors["_criterion"]) { .p(.class("notice error"), .attr("role", "alert"), .t($0)) },
            .table(.class("list"),
                   .thead(.tr(.th(.t(l("Критерий", "Criterion"))), .th(.t(l("Вес", "Weight"))), .th(.t(l("Действует", "Active"))), .th())),
                   .tbody(.forEach(criteria) { c in
                       .tr(.td(.t(l(c.nameRu, c.nameEn))),
                           .td(.attr("colspan", "3"),
                               .form(.method(.post), .action(SitePath.adminCriterionSave.path), .class("inline"),
                                     Layout.csrfField(ctx), .input(.type(.hidden), .name("id"), .value(String(c.id))),
                                     .input(.type(.hidden), .name("name_ru"), .value(c.nameRu)), .input(.type(.hidden), .name("name_en"), .value(c.nameEn)),
                                     .input(.type(.number), .name("weight"), .attr("min", "0"), .attr("max", "100"), .value(String(c.weight)),
                                            .attr("aria-label", l("Вес", "Weight"))),
                                     .element(named: "label", nodes: [.input(.type(.checkbox), .name("active"), .value("1"), .checked(c.active)),
                                                                      .t(" " + l("действует", "active"))]),
                                     .button(.type(.submit), .class("secondary"), .t(l("Сохранить", "Save"))))))
                   })),
            .form(.method(.post), .action(SitePath.adminCriterionSave.path), .id("criterion-new"),
                  Layout.csrfField(ctx),
                  .h3(.t(l("Новый критерий", "New criterion"))),
                  Layout.row(l("Ключ (латиницей)", "Key (latin letters)"), for: "c-key", .input(.type(.text), .name("key"), .id("c-key"), .attr("maxlength", "64"))),
                  Layout.row(l("Название по-русски", "Name in Russian"), for: "c-ru", .input(.type(.text), .name("name_ru"), .id("c-ru"), .attr("maxlength", "200"))),
                  Layout.row(l("Название по-английски", "Name in English"), for: "c-en", .input(.type(.text), .name("name_en"), .id("c-en"), .attr("maxlength", "200"))),
                  Layout.row(l("Вес", "Weight"), for: "c-weight", .input(.type(.number), .name("weight"), .id("c-weight"), .attr("min", "0"), .attr("max", "100"), .value("10"))),
                  .input(.type(.hidden), .name("active"), .value("1")),
                  .button(.type(.submit), .class("primary"), .id("criterion-add"), .t(l("Добавить", "Add"))))
        )
        return Layout.render(l("Качество: настройки", "Quality settings"), ctx, status: status, .group(
            .h1(.t(l("Качество: настройки", "Quality settings"))),
            .p(.a(.href(SitePath.reviews.path), .t(l("Разбор разговоров", "Conversation reviews"))), .t(" · "),
               .a(.href(SitePath.adminFeedback.path), .t(l("Отзывы о поддержке", "Feedback about the support")))),
            .unwrap(errors["_form"]) { .p(.class("notice error"), .attr("role", "alert"), .t($0)) },
            .section(.class("card"), settingsForm),
            criteriaTable))
    }

    static func save(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageQuality)
        let form = try await WebForms.read(request)
        var values: [String: String] = [
            "survey.enabled": form.value("survey_enabled") == "1" ? "true" : "false",
            "survey.once_per_ticket": form.value("survey_once") == "1" ? "true" : "false",
            "survey.delay_minutes": form.value("survey_delay_minutes") ?? "",
            "survey.valid_days": form.value("survey_valid_days") ?? "",
            "review.per_agent_per_week": form.value("reviews_per_agent_per_week") ?? "",
        ]
        for type in TicketType.allCases {
            values["resolution.required.\(type.rawValue)"] = [ResolutionPart.fixed, .how, .prevention]
                .filter { form.value("required.\(type.rawValue).\($0.rawValue)") == "1" }.map(\.rawValue).joined(separator: ",")
        }
        do {
            _ = try await QualitySettingsService.save(values, context: try request.context)
            return request.redirect(to: SitePath.adminQuality.path + "?notice=saved")
        } catch ZayavkaError.validation(let problems) {
            var errors: [String: String] = [:]
            let l = PageContext(request).l
            for problem in problems { errors[problem.field] = l.localizer.fieldMessage(problem) }
            return try await render(request, errors: errors, status: .unprocessableEntity)
        }
    }

    static func saveCriterion(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageQuality)
        let form = try await WebForms.read(request)
        let id = form.text("id").flatMap { Int($0) }
        var input = CriterionInput()
        input.key = id == nil ? form.text("key") : nil
        input.nameRu = form.text("name_ru") ?? ""
        input.nameEn = form.text("name_en") ?? ""
        input.active = form.value("active") == "1"
        if let raw = form.text("weight") { input.weight = Int(raw) ?? -1 }
        do {
            _ = try await ReviewService.saveCriterion(id: id, input, context: try request.context)
            return request.redirect(to: SitePath.adminQuality.path + "?notice=saved")
        } catch let error as ZayavkaError {
            let l = PageContext(request).l
            let text: String
            if case .validation(let problems) = error {
                text = problems.map { $0.field + ": " + l.localizer.fieldMessage($0) }.joined(separator: "; ")
            } else {
                text = l.localizer.message(for: error)
            }
            return try await render(request, errors: ["_criterion": text], status: .unprocessableEntity)
        }
    }
}

/// Managers' list of remarks about the service (SPEC Q3), with status and note.
enum FeedbackAdminPage {
    static func show(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageQuality)
        let ctx = PageContext(request)
        let l = ctx.l
        var errors: [FieldError] = []
        let status = request.choice("status", FeedbackService.statuses, into: &errors)
        let items = try await FeedbackService.list(status: status, before: nil, limit: 200, context: try request.context).items
        func statusName(_ key: String) -> String {
            switch key {
            case "new": l("новое", "new")
            case "in_progress": l("в работе", "in progress")
            default: l("разобрано", "done")
            }
        }
        return Layout.render(l("Отзывы о поддержке", "Feedback about the support"), ctx, .group(
            .h1(.t(l("Отзывы о поддержке", "Feedback about the support"))),
            .p(.class("filters"), .a(.href(SitePath.adminFeedback.path), .class(status == nil ? "current" : ""), .t(l("все", "all"))),
               .forEach(FeedbackService.statuses) { key in
                   .group(.t(" · "), .a(.href(SitePath.adminFeedback.path + "?status=" + key), .class(status == key ? "current" : ""), .t(statusName(key))))
               }),
            .if(items.isEmpty, .p(.class("muted"), .id("feedback-empty"), .t(l("Отзывов нет.", "No feedback.")))),
            .forEach(items) { item in
                .section(.class("card feedback-item"), .id("feedback-\(item.id)"),
                         .p(.strong(.t("№\(item.id) · " + item.name)), .t(" · " + item.contact + " · " + l.dateTime(item.createdAt)),
                            .span(.class("badge"), .t(statusName(item.status)))),
                         .div(.class("body"), .t(item.body)),
                         .form(.method(.post), .action(SitePath.adminFeedbackSave(item.id).path), .class("inline"),
                               Layout.csrfField(ctx),
                               .select(.attr("name", "status"), .attr("aria-label", l("Статус", "Status")),
                                       .forEach(FeedbackService.statuses) { .opt($0, statusName($0), selected: $0 == item.status) }),
                               .input(.type(.text), .name("note"), .attr("maxlength", "5000"), .value(item.note),
                                      .attr("placeholder", l("Что сделано", "What was done")), .attr("aria-label", l("Что сделано", "What was done"))),
                               .button(.type(.submit), .class("secondary"), .t(l("Сохранить", "Save")))))
            }))
    }

    static func save(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageQuality)
        guard let id = request.parameters.get("id").flatMap({ Int($0) }) else { throw NotFoundPage() }
        let form = try await WebForms.read(request)
        _ = try await FeedbackService.update(id: id, FeedbackPatchInput(status: form.text("status"), note: form.value("note") ?? ""),
                                             context: try request.context)
        return request.redirect(to: SitePath.adminFeedback.path + "?notice=saved")
    }
}

/// Conversation reviews (SPEC Q2): the sample, one review with the whole conversation and its calls,
/// and scores per agent and criterion over the weeks.
enum ReviewPages {
    static func list(_ request: Request) async throws -> Response {
        let signedIn = try QueueController.requireStaff(request)
        let ctx = PageContext(request)
        let l = ctx.l
        let context = try request.context
        let manager = signedIn.viewer.role.can(.manageQuality)
        var errors: [FieldError] = []
        let agent = request.intQuery("agent_id", into: &errors)
        let reviews = try await ReviewService.list(agentID: agent, week: nil, status: nil, limit: 300, context: context)
        let thisWeek = ReviewWeek.monday(of: context.now)
        let summary = try await ReviewService.summary(from: thisWeek.adding(days: -7 * 11), to: thisWeek, context: context)
        let criteria = try await ReviewService.criteria(context: context)
        let weeks = Array(Set(summary.map(\.week))).sorted()
        let agents = Dictionary(summary.map { ($0.agent.id, $0.agent.name) }, uniquingKeysWith: { a, _ in a }).sorted { $0.value < $1.value }
        func cell(_ agentID: Int, _ week: String, _ key: String) -> String {
            guard let found = summary.first(where: { $0.agent.id == agentID && $0.week == week && $0.criterion == key }) else { return "—" }
            return key == "total" ? l.decimal(found.average, digits: 1) : l.decimal(found.average, digits: 2)
        }
        let pending = reviews.filter { $0.status == "pending" }
        let done = reviews.filter { $0.status == "done" }
        func row(_ review: ReviewDTO) -> Node<HTML.TableContext> {
            .tr(.td(.a(.href(SitePath.review(review.id).path), .t("№\(review.ticketNumber) " + review.subject))), .td(.t(review.agent.name)),
                .td(.t(review.week)), .td(.t(review.total.map { l.decimal($0, digits: 1) } ?? "—")))
        }
        return Layout.render(l("Разбор разговоров", "Conversation reviews"), ctx, .group(
            .h1(.t(l("Разбор разговоров", "Conversation reviews"))),
            .if(manager, .p(.a(.href(SitePath.adminQuality.path), .t(l("Критерии и выборка", "Criteria and sample"))), .t(" · "),
                            .a(.href(SitePath.adminFeedback.path), .t(l("Отзывы о поддержке", "Feedback about the support"))))),
            .if(manager, .form(.method(.post), .action(SitePath.reviewSample.path), .class("inline"), .id("sample-form"),
                               Layout.csrfField(ctx),
                               .element(named: "label", nodes: [.attr("for", "sample-week"), .t(l("Неделя", "Week") + " ")]),
                               .input(.type(.date), .name("week"), .id("sample-week"), .value(thisWeek.adding(days: -7).description)),
                               .button(.type(.submit), .class("secondary"), .id("sample-draw"), .t(l("Сформировать выборку", "Draw the sample"))))),
            .section(.class("card"), .id("review-scores"),
                     .h2(.t(l("Оценки по неделям (итог из 100 и средний балл по критериям из 5)", "Scores by week (total of 100, criteria average of 5)"))),
                     .if(summary.isEmpty, .p(.class("muted"), .t(l("Оценённых разговоров пока нет.", "No reviewed conversations yet.")))),
                     .if(!summary.isEmpty, .table(.class("list"),
                         .thead(.tr(.th(.t(l("Специалист", "Agent"))), .th(.t(l("Критерий", "Criterion"))), .forEach(weeks) { .th(.t($0)) })),
                         .tbody(.forEach(agents) { agent in
                             .group(
                                 .tr(.class("total"), .td(.t(agent.value)), .td(.strong(.t(l("Итог", "Total")))),
                                     .forEach(weeks) { week in .td(.t(cell(agent.key, week, "total"))) }),
                                 .forEach(criteria) { criterion in
                                     .tr(.td(), .td(.t(l(criterion.nameRu, criterion.nameEn))), .forEach(weeks) { week in .td(.t(cell(agent.key, week, criterion.key))) })
                                 })
                         })))),
            .if(manager, .section(.class("card"), .id("reviews-pending"),
                                  .h2(.t(l("Ждут оценки", "Waiting for review") + " (\(pending.count))")),
                                  .table(.class("list"), .tbody(.forEach(pending, row))))),
            .section(.class("card"), .id("reviews-done"),
                     .h2(.t(l("Оценённые", "Reviewed") + " (\(done.count))")),
                     .table(.class("list"), .tbody(.forEach(done, row))))))
    }

    static func sample(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageQuality)
        let form = try await WebForms.read(request)
        let context = try request.context
        var errors: [FieldError] = []
        let week = request.week(form.text("week"), into: &errors) ?? ReviewWeek.monday(of: context.now).adding(days: -7)
        let added = try await ReviewService.sample(week: week, context: context)
        return request.redirect(to: SitePath.reviews.path + "?notice=" + (added > 0 ? "sampled" : "sample-empty"))
    }

    static func show(_ request: Request) async throws -> Response {
        try await render(request, errors: [:], status: .ok)
    }

    static func render(_ request: Request, errors: [String: String], status: HTTPResponseStatus) async throws -> Response {
        let signedIn = try QueueController.requireStaff(request)
        guard let id = request.parameters.get("id").flatMap({ Int($0) }) else { throw NotFoundPage() }
        let ctx = PageContext(request)
        let l = ctx.l
        let context = try request.context
        let review: ReviewDTO
        do { review = try await ReviewService.get(id: id, context: context) } catch ZayavkaError.notFound { throw NotFoundPage() }
        let criteria = try await ReviewService.criteria(context: context).filter(\.active)
        let row = try await TicketQueries.load(number: review.ticketNumber, viewer: signedIn.viewer, on: try request.sql)
        let catalog = try await request.services.catalog.snapshot(request.database)
        let comments = try await ConversationService.comments(of: row, viewer: signedIn.viewer, context: context)
        let events = try await ConversationService.events(of: row, viewer: signedIn.viewer, context: context)
        let statusNames = Dictionary(catalog.statuses.map { ($0.key, $0.name(l.language)) }, uniquingKeysWith: { a, _ in a })
        let timeline = TimelineModel(comments: comments, events: events, statusNames: statusNames, peopleNames: [:])
        let clocks = try await SLAClocks.dto(ticketID: row.id, at: Date(), calendars: try await request.services.sla.setup(try request.sql).calendars,
                                             on: try request.sql)
        let manager = signedIn.viewer.role.can(.manageQuality)
        let scoreForm: Node<HTML.BodyContext> = .form(
            .method(.post), .action(SitePath.reviewScore(id).path), .id("review-form"),
            Layout.csrfField(ctx),
            .unwrap(errors["_form"]) { .p(.class("notice error"), .attr("role", "alert"), .t($0)) },
            .forEach(criteria) { criterion in
                let current = review.scores.first { $0.criterion == criterion.key }
                return .fieldset(.class("criterion"), .id("criterion-\(criterion.key)"),
                                 .element(named: "legend", nodes: [.t(l(criterion.nameRu, criterion.nameEn) + " · " + l("вес", "weight") + " \(criterion.weight)")]),
                                 .unwrap(errors[criterion.key]) { .p(.class("error"), .t($0)) },
                                 .div(.class("scale"), .forEach(Array(0...ReviewScoring.maxScore)) { score in
                                     .element(named: "label", nodes: [
                                         .input(.type(.radio), .name("score.\(criterion.key)"), .value(String(score)), .id("score-\(criterion.key)-\(score)"),
                                                .checked(current?.score == score)),
                                         .t(" \(score) "),
                                     ])
                                 }),
                                 .input(.type(.text), .name("comment.\(criterion.key)"), .attr("maxlength", "2000"), .value(current?.comment ?? ""),
                                        .attr("placeholder", l("Комментарий", "Comment")), .attr("aria-label", l("Комментарий", "Comment"))))
            },
            Layout.row(l("Общий комментарий", "Overall comment"), for: "review-comment",
                       .textarea(.name("comment"), .id("review-comment"), .rows(3), .attr("maxlength", "5000"), .t(review.comment))),
            .button(.type(.submit), .class("primary"), .id("review-save"), .t(l("Сохранить оценку", "Save the review")))
        )
        let result: Node<HTML.BodyContext> = .section(
            .class("card"), .id("review-result"),
            .h2(.t(l("Оценка", "Review") + (review.total.map { ": " + l.decimal($0, digits: 1) + l(" из 100", " of 100") } ?? ""))),
            .table(.class("list"), .tbody(.forEach(review.scores) { score in
                .tr(.td(.t(criteria.first { $0.key == score.criterion }.map { l($0.nameRu, $0.nameEn) } ?? score.criterion)),
                    .td(.t("\(score.score) / \(ReviewScoring.maxScore)")), .td(.t(score.comment)))
            })),
            .if(!review.comment.isEmpty, .p(.t(review.comment))),
            .unwrap(review.reviewer) { .p(.class("muted"), .t(l("Оценил(а): ", "Reviewed by ") + $0.name)) })
        let clockList: Node<HTML.BodyContext> = clocks.isEmpty ? .empty : .ul(.class("clocks"), .id("review-clocks"), .forEach(clocks) { clock in
            let missed = clock.breachedAt != nil || clock.state == .missed
            return .li(.t(SLAMetricNames.name(clock.metric.rawValue, l.language) + ": " + (missed ? l("нарушен", "breached") : l("в срок", "met"))))
        })
        let heading: Node<HTML.BodyContext> = .group(
            .h1(.t(l("Разбор разговора", "Conversation review") + " · №\(review.ticketNumber) " + review.subject)),
            .p(.class("muted"), .t(l("Специалист: ", "Agent: ") + review.agent.name + " · " + l("неделя ", "week of ") + review.week + " · "),
               .a(.href(SitePath.agentTicket(review.ticketNumber).path), .t(l("открыть заявку", "open the ticket")))))
        let main: Node<HTML.BodyContext> = .div(.class("main"), heading, clockList, TimelineView.render(timeline, ctx))
        let side: Node<HTML.BodyContext> = .aside(.class("side"), manager ? scoreForm : .empty, review.status == "done" ? result : .empty)
        return Layout.render(l("Разбор №\(review.ticketNumber)", "Review of #\(review.ticketNumber)"), ctx, status: status,
                             .div(.class("ticket-layout"), main, side))
    }

    static func score(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageQuality)
        guard let id = request.parameters.get("id").flatMap({ Int($0) }) else { throw NotFoundPage() }
        let form = try await WebForms.read(request)
        let context = try request.context
        let criteria = try await ReviewService.criteria(context: context).filter(\.active)
        let l = PageContext(request).l
        var errors: [String: String] = [:]
        var items: [ReviewScoreInput.Item] = []
        for criterion in criteria {
            guard let raw = form.text("score.\(criterion.key)"), let score = Int(raw) else {
                errors[criterion.key] = l("Поставьте оценку от 0 до 5.", "Give a score from 0 to 5.")
                continue
            }
            items.append(.init(criterion: criterion.key, score: score, comment: form.value("comment.\(criterion.key)")))
        }
        if errors.isEmpty {
            do {
                _ = try await ReviewService.score(id: id, ReviewScoreInput(scores: items, comment: form.value("comment")), context: context)
                return request.redirect(to: SitePath.review(id).path + "?notice=saved")
            } catch ZayavkaError.validation(let problems) {
                errors["_form"] = problems.map { $0.field + ": " + l.localizer.fieldMessage($0) }.joined(separator: "; ")
            }
        }
        return try await render(request, errors: errors, status: .unprocessableEntity)
    }
}
