import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// The pages behind the links of survey and solved mails (`/q/{token}`): no sign-in, the signed link
/// names one survey or one resolution report. A refused link gets a page saying why and changes nothing.
enum QualityLinkPages {
    static func show(_ request: Request) async throws -> Response {
        try await handle(request, form: nil)
    }

    static func submit(_ request: Request) async throws -> Response {
        try await handle(request, form: try await WebForms.read(request))
    }

    private static func handle(_ request: Request, form: ReceivedForm?) async throws -> Response {
        let ctx = PageContext(request)
        let l = ctx.l
        let token = request.parameters.get("token") ?? ""
        let context = ServiceContext.system(request.application)
        let link: QualityLink
        do {
            link = try await QualityLinks.open(token, now: context.now, services: context.services, on: context.sql)
        } catch let refusal as QualityLinks.Refusal {
            return refused(refusal, ctx)
        }
        do {
            switch link.kind {
            case .survey: return try await survey(link, request: request, form: form, context: context, ctx)
            case .resolution: return try await resolution(link, token: token, request: request, form: form, ctx)
            }
        } catch let refusal as QualityLinks.Refusal {
            return refused(refusal, ctx)
        } catch let error as ZayavkaError {
            if case .validation = error { throw error }
            let text: String = switch error {
            case .conflict, .illegalTransition: l("Заявка уже не в статусе «Решена»: ответ не записан. Если вопрос остался, ответьте на письмо или откройте заявку на портале.",
                                                   "The request is no longer solved, so the answer was not recorded. If the problem remains, reply to the mail or open the request on the portal.")
            case .ticketClosed: l("Заявка уже закрыта. Если проблема осталась, создайте новую заявку.", "The request is closed already. If the problem remains, please file a new request.")
            default: l.localizer.message(for: error)
            }
            return Layout.render(l("Ответ не записан", "Answer not recorded"), ctx, status: .conflict,
                                 .section(.class("card"), .id("link-conflict"), .h1(.t(l("Ответ не записан", "Answer not recorded"))), .p(.t(text))))
        }
    }

    static func refused(_ refusal: QualityLinks.Refusal, _ ctx: PageContext) -> Response {
        let l = ctx.l
        let (status, title, text): (HTTPResponseStatus, String, String) = switch refusal {
        case .invalid: (.notFound, l("Ссылка недействительна", "This link is not valid"),
                        l("Ссылка повреждена или относится к другой заявке. Ничего не изменено. Скопируйте ссылку из письма целиком или ответьте на письмо.",
                          "The link is damaged or belongs to another request. Nothing was changed. Copy the whole link from the mail, or reply to the mail."))
        case .expired: (.gone, l("Срок действия ссылки истёк", "This link has expired"),
                        l("Ссылка больше не действует, ничего не изменено. Если вопрос остался, ответьте на письмо или напишите нам на портале.",
                          "The link no longer works; nothing was changed. If the problem remains, reply to the mail or write to us on the portal."))
        }
        return Layout.render(title, ctx, status: status, .section(.class("card"), .id("link-refused"), .h1(.t(title)), .p(.t(text))))
    }

    // MARK: Survey

    private static func survey(_ link: QualityLink, request: Request, form: ReceivedForm?, context: ServiceContext,
                               _ ctx: PageContext) async throws -> Response {
        let l = ctx.l
        var row = try await SatisfactionService.survey(for: link, on: context.sql)
        var error: String?
        let rating = (form?.text("rating") ?? request.query[String.self, at: "r"]).flatMap(SatisfactionRating.init(rawValue:))
        let comment = form?.value("comment")
        if rating != nil || comment != nil {
            do {
                row = try await SatisfactionService.rate(link: link, rating: rating, comment: comment, context: context)
            } catch ZayavkaError.validation(let errors) {
                error = errors.map { l.localizer.fieldMessage($0) }.joined(separator: "; ")
            }
        }
        let current = row.rating.flatMap(SatisfactionRating.init(rawValue:))
        let token = request.parameters.get("token") ?? ""
        let thanks: String? = switch current {
        case .good: l("Спасибо за оценку «Хорошо»! Нам приятно, что мы помогли.", "Thank you for rating us “Good”! We are glad we could help.")
        case .bad: l("Спасибо за честную оценку. Напишите, пожалуйста, что пошло не так — руководитель поддержки прочитает.",
                     "Thank you for the honest rating. Please tell us what went wrong — the support manager will read it.")
        case nil: nil
        }
        let content: Node<HTML.BodyContext> = .section(
            .class("card survey"), .id("survey"),
            .h1(.t(l("Оценка работы поддержки", "Rate the support"))),
            .p(.class("muted"), .t(l("Заявка №\(row.number): ", "Request #\(row.number): ") + row.subject)),
            .unwrap(thanks) { .p(.class("notice"), .id("survey-thanks"), .attr("role", "status"), .t($0)) },
            .unwrap(error) { .p(.class("notice error"), .attr("role", "alert"), .t($0)) },
            .form(
                .method(.post), .action(SitePath.qualityLink(token).path), .id("survey-form"),
                Layout.csrfField(ctx),
                .fieldset(.class("rating"),
                          .element(named: "legend", nodes: [.t(l("Ваша оценка", "Your rating"))]),
                          .button(.type(.submit), .name("rating"), .value("good"), .id("rate-good"), .class(current == .good ? "primary" : "secondary"),
                                  .attr("aria-pressed", current == .good ? "true" : "false"), .t("👍 " + l("Хорошо", "Good"))),
                          .button(.type(.submit), .name("rating"), .value("bad"), .id("rate-bad"), .class(current == .bad ? "primary" : "secondary"),
                                  .attr("aria-pressed", current == .bad ? "true" : "false"), .t("👎 " + l("Плохо", "Bad")))),
                Layout.row(l("Комментарий (необязательно)", "Comment (optional)"), for: "survey-comment",
                           .textarea(.name("comment"), .id("survey-comment"), .rows(4), .attr("maxlength", String(SurveyLimits.commentMaxLength)),
                                     .t(comment ?? row.comment ?? ""))),
                .button(.type(.submit), .class("primary"), .id("survey-send"), .t(l("Отправить комментарий", "Send the comment")))
            ),
            .unwrap(row.expires_at) { .p(.class("muted"), .t(l("Оценку можно изменить до ", "You can change the rating until ") + l.dateTime($0) + ".")) }
        )
        return Layout.render(l("Оценка работы поддержки", "Rate the support"), ctx, status: error == nil ? .ok : .unprocessableEntity, content)
    }

    // MARK: Resolution

    private static func resolution(_ link: QualityLink, token: String, request: Request, form: ReceivedForm?,
                                   _ ctx: PageContext) async throws -> Response {
        let l = ctx.l
        let sql = try request.sql
        var found = try await ResolutionService.report(for: link, on: sql)
        let answer = form?.text("answer") ?? request.query[String.self, at: "a"]
        var error: String?
        var done: String?
        if answer == "works" || (answer == "not_working" && form != nil) {
            do {
                _ = try await QualityAnswers.answerResolution(token: token, answer: answer ?? "", text: form?.value("text"),
                                                              application: request.application, now: Date())
                found = try await ResolutionService.report(for: link, on: sql)
                done = answer == "works"
                    ? l("Спасибо! Мы отметили, что всё работает.", "Thank you! We have noted that it works.")
                    : l("Спасибо, мы получили ваш ответ: заявка снова открыта, специалист займётся ею.",
                        "Thank you, we have your answer: the request is open again and a specialist is on it.")
            } catch ZayavkaError.validation {
                error = l("Напишите, что именно не работает.", "Please write what exactly does not work.")
            }
        }
        let report = found.report
        let content: Node<HTML.BodyContext> = .section(
            .class("card resolution"), .id("resolution-answer"),
            .h1(.t(l("Заявка №\(link.ticket) решена", "Request #\(link.ticket) is solved"))),
            .unwrap(done) { .p(.class("notice"), .id("resolution-done"), .attr("role", "status"), .t($0)) },
            .unwrap(error) { .p(.class("notice error"), .attr("role", "alert"), .t($0)) },
            ResolutionView.list(report, l),
            .if(done == nil && report.outcome == nil, .group(
                .form(.method(.post), .action(SitePath.qualityLink(token).path), .id("resolution-works"),
                      Layout.csrfField(ctx), .input(.type(.hidden), .name("answer"), .value("works")),
                      .button(.type(.submit), .class("primary"), .id("answer-works"), .t(l("Да, всё работает", "Yes, it works")))),
                .form(.method(.post), .action(SitePath.qualityLink(token).path), .id("resolution-not-working"),
                      Layout.csrfField(ctx), .input(.type(.hidden), .name("answer"), .value("not_working")),
                      Layout.row(l("Что всё ещё не работает?", "What still does not work?"), for: "answer-text",
                                 .textarea(.name("text"), .id("answer-text"), .rows(4), .attr("maxlength", String(TicketLimits.bodyMaxLength)),
                                           .t(form?.value("text") ?? ""))),
                      .button(.type(.submit), .class("secondary"), .id("answer-not-working"), .t(l("Нет, не работает", "No, it does not work"))))
            )),
            .if(done == nil && report.outcome != nil,
                .p(.class("muted"), .id("resolution-outcome"),
                   .t(report.outcome == "works" ? l("Вы уже подтвердили, что всё работает.", "You have confirmed that it works.")
                      : l("Вы уже сообщили, что не работает; заявка снова открыта.", "You have told us it does not work; the request is open again."))))
        )
        return Layout.render(l("Заявка решена", "Request solved"), ctx, status: error == nil ? .ok : .unprocessableEntity, content)
    }
}

/// A resolution report shown on the ticket page (agent) and the request page (portal).
enum ResolutionView {
    static func card(_ report: ResolutionDTO, _ l: L) -> Node<HTML.BodyContext> {
        let outcome: String? = switch report.outcome {
        case "works": l("Клиент подтвердил: всё работает", "The customer confirmed: it works")
        case "not_working": l("Клиент ответил: не работает", "The customer answered: it does not work")
        default: nil
        }
        return .section(.class("card resolution"), .id("resolution"),
                        .h2(.t(l("Отчёт о решении", "Resolution report"))),
                        ResolutionView.list(report, l),
                        .unwrap(outcome) { .p(.class("muted"), .id("resolution-outcome"), .t($0)) })
    }

    /// The report's parts that were written, as a definition list.
    static func list(_ report: ResolutionDTO, _ l: L) -> Node<HTML.BodyContext> {
        let parts: [(String, String)] = [(l("Что исправлено", "What was fixed"), report.fixed), (l("Как", "How"), report.how),
                                         (l("Как избежать в будущем", "How to prevent it"), report.prevention),
                                         (l("Что проверить", "What to check"), report.check)].filter { !$0.1.isEmpty }
        return .element(named: "dl", nodes: parts.map { part in .group(.element(named: "dt", nodes: [.t(part.0)]), .element(named: "dd", nodes: [.t(part.1)])) })
    }

    /// "Что исправлено" for `resolution.fixed`.
    static func partName(_ field: String, _ l: L) -> String {
        switch ResolutionPart(rawValue: String(field.dropFirst("resolution.".count))) {
        case .fixed: l("Что исправлено", "What was fixed")
        case .how: l("Как исправлено", "How it was fixed")
        case .prevention: l("Как избежать в будущем", "How to prevent it")
        case .check: l("Что проверить клиенту", "What the customer should check")
        case nil: l("Отчёт о решении", "Resolution report")
        }
    }

    /// The fields of the report in a form that solves the ticket (the composer).
    static func fields(_ l: L, required: Set<ResolutionPart>, values: ResolutionInput?, error: String?) -> Node<HTML.FormContext> {
        let parts: [(ResolutionPart, String, String)] = [
            (.fixed, l("Что исправлено", "What was fixed"), values?.fixed ?? ""), (.how, l("Как исправлено", "How it was fixed"), values?.how ?? ""),
            (.prevention, l("Как избежать в будущем", "How to prevent it"), values?.prevention ?? ""),
            (.check, l("Что проверить клиенту", "What the customer should check"), values?.check ?? ""),
        ]
        return .element(named: "details", nodes: [
            .class("resolution-fields"), .id("resolution-fields"), .attr("data-required", required.isEmpty ? "" : "1"),
            .if(!required.isEmpty || error != nil || !(values?.report.isEmpty ?? true), .attribute(named: "open", value: "open")),
            .element(named: "summary", nodes: [.t(l("Отчёт о решении (при статусе «Решена»)", "Resolution report (when solving)"))]),
            .unwrap(error) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
            .forEach(parts) { part in
                Layout.row(part.1 + (required.contains(part.0) ? " *" : ""), for: "resolution-\(part.0.rawValue)",
                           .textarea(.name("resolution.\(part.0.rawValue)"), .id("resolution-\(part.0.rawValue)"), .rows(2),
                                     .attr("maxlength", String(ResolutionReport.maxLength)), .t(part.2)))
            },
        ])
    }
}

/// How the customer's rating shows on the ticket (agent) and the request (portal).
enum RatingView {
    static func badge(_ survey: SurveyDTO?, _ l: L) -> Node<HTML.BodyContext> {
        guard let survey, let rating = survey.rating else { return .empty }
        return .p(.class("rating \(rating.rawValue)"), .id("rating"),
                  .t((rating == .good ? "👍 " + l("Оценка клиента: «Хорошо»", "Customer's rating: “Good”") : "👎 " + l("Оценка клиента: «Плохо»", "Customer's rating: “Bad”"))
                     + (survey.comment.map { " — «\($0)»" } ?? "")))
    }
}

/// The public form for remarks about the support service itself (SPEC Q3, seed 001).
enum FeedbackPage {
    static func show(_ request: Request) async throws -> Response {
        render(PageContext(request), values: [:], errors: [:])
    }

    static func submit(_ request: Request) async throws -> Response {
        let form = try await WebForms.read(request)
        let ctx = PageContext(request)
        let values = ["name": form.value("name") ?? "", "contact": form.value("contact") ?? "", "body": form.value("body") ?? ""]
        do {
            let id = try await FeedbackService.submit(FeedbackInput(name: values["name"], contact: values["contact"], body: values["body"] ?? ""),
                                                      context: try request.context)
            let l = ctx.l
            return Layout.render(l("Спасибо за отзыв", "Thank you"), ctx, .section(
                .class("card"), .id("feedback-sent"), .h1(.t(l("Спасибо за отзыв", "Thank you for your feedback"))),
                .p(.t(l("Ваше замечание №\(id) получено. Руководитель поддержки рассмотрит его.",
                        "Your remark #\(id) is received. The support manager will look into it.")))))
        } catch ZayavkaError.validation(let problems) {
            var errors: [String: String] = [:]
            for problem in problems { errors[problem.field] = ctx.l.localizer.fieldMessage(problem) }
            return render(ctx, values: values, errors: errors, status: .unprocessableEntity)
        }
    }

    static func render(_ ctx: PageContext, values: [String: String], errors: [String: String], status: HTTPResponseStatus = .ok) -> Response {
        let l = ctx.l
        let signedIn = ctx.signedIn != nil
        return Layout.render(l("Отзыв о работе поддержки", "Feedback about the support"), ctx, status: status, .section(
            .class("card"), .id("feedback"),
            .h1(.t(l("Отзыв о работе поддержки", "Feedback about the support"))),
            .p(.class("muted"), .t(l("Замечания и предложения о работе службы поддержки читает её руководитель. Для вопроса по вашей системе создайте заявку.",
                                     "The support manager reads remarks and suggestions about the support service. For a question about your system, file a request."))),
            .form(.method(.post), .action(SitePath.feedback.path), .id("feedback-form"),
                  Layout.csrfField(ctx),
                  Layout.row(l("Ваше имя", "Your name") + (signedIn ? "" : " *"), for: "feedback-name", error: errors["name"],
                             .input(.type(.text), .name("name"), .id("feedback-name"), .attr("maxlength", "200"), .value(values["name"] ?? ""))),
                  Layout.row(l("Как с вами связаться (почта или телефон)", "How to reach you (email or phone)") + (signedIn ? "" : " *"), for: "feedback-contact",
                             error: errors["contact"],
                             .input(.type(.text), .name("contact"), .id("feedback-contact"), .attr("maxlength", "320"), .value(values["contact"] ?? ""))),
                  Layout.row(l("Замечание или предложение", "Your remark or suggestion") + " *", for: "feedback-body", error: errors["body"],
                             .textarea(.name("body"), .id("feedback-body"), .rows(6), .attr("maxlength", "10000"), .t(values["body"] ?? ""))),
                  .button(.type(.submit), .class("primary"), .id("feedback-send"), .t(l("Отправить", "Send"))))))
    }
}
