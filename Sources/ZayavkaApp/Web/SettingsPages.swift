import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// The desk's setup in one place (issue 20): the admin pages grouped under "Settings", and for a
/// new desk the first-run checklist that shows what is done.
struct SetupChecklist: Sendable {
    struct Step: Sendable {
        let key: String
        let title: String
        let hint: String
        let link: String
        let done: Bool
    }

    let steps: [Step]
    var complete: Bool { steps.allSatisfy(\.done) }

    /// The state of the desk's setup, read from what exists: groups and agents, mail, SLA,
    /// intake questions looked at, a team invited.
    static func load(_ request: Request) async throws -> SetupChecklist {
        let l = PageContext(request).l
        let mail = request.services.configuration.mail
        // One round trip: the queue page asks this for every admin.
        struct Counts: Decodable {
            let groups: Int, members: Int, mailboxes: Int, policies: Int, questions: Int, team: Int
        }
        // The shipped questions are all shown, optional and on: a change means someone chose.
        let counts = try await request.sql.raw("""
            SELECT (SELECT COUNT(*) FROM support_groups) AS groups, (SELECT COUNT(*) FROM group_members) AS members,
                   (SELECT COUNT(*) FROM mailboxes) AS mailboxes, (SELECT COUNT(*) FROM sla_policies) AS policies,
                   (SELECT COUNT(*) FROM intake_fields WHERE active = \(bind: false) OR customer_visible = \(bind: false) OR required = \(bind: true)) AS questions,
                   (SELECT COUNT(*) FROM users WHERE role IN ('agent', 'dispatcher', 'manager') AND is_active = \(bind: true)) AS team
            """).first(decoding: Counts.self)
        guard let counts else { throw ZayavkaError.notFound(entity: "setup", id: "counts") }
        return SetupChecklist(steps: [
            Step(key: "lines", title: l("Линии и специалисты", "Lines and agents"),
                 hint: l("Группы (линии поддержки) и кто в них работает.", "Groups (support lines) and who works in them."),
                 link: SitePath.adminGroups.path, done: counts.groups > 0 && counts.members > 0),
            Step(key: "mail", title: l("Адрес поддержки и почтовый сервер", "Support address and mail relay"),
                 hint: l("Куда клиенты пишут и через какой сервер уходят ответы (или ящик IMAP).", "Where customers write and the relay replies go through (or an IMAP mailbox)."),
                 link: SitePath.adminMail.path, done: (!mail.supportAddresses.isEmpty && mail.relay != nil) || counts.mailboxes > 0),
            Step(key: "sla", title: l("Рабочее время и SLA", "Working time and SLA"),
                 hint: l("Производственный календарь, часы работы и сроки ответа.", "The production calendar, working hours and response targets."),
                 link: SitePath.adminWorkingTime.path, done: counts.policies > 0),
            Step(key: "questions", title: l("Вопросы клиенту", "Intake questions"),
                 hint: l("Что клиент заполняет в новой заявке: обязательные, скрытые, лишние.", "What the customer fills in: required, hidden, not needed."),
                 link: SitePath.adminFields.path, done: counts.questions > 0),
            Step(key: "team", title: l("Пригласить команду", "Invite the team"),
                 hint: l("Учётные записи специалистов, диспетчеров и руководителей.", "Accounts for agents, dispatchers and managers."),
                 link: SitePath.adminUsers.path, done: counts.team > 0),
        ])
    }

    func render(_ l: L) -> Node<HTML.BodyContext> {
        let done = steps.filter(\.done).count
        return .div(.class("card checklist"), .id("setup-checklist"),
                    .h2(.t(l("Настройка поддержки: готово \(done) из \(steps.count)", "Setting up the desk: \(done) of \(steps.count) done"))),
                    .ol(.forEach(steps) { step in
                        .li(.class(step.done ? "done" : "todo"), .id("setup-" + step.key),
                            .a(.href(step.link), .t(step.title)), .t(step.done ? " — " + l("готово", "done") : ""),
                            .div(.class("hint muted"), .t(step.hint)))
                    }))
    }
}

enum SettingsPages {
    /// Every setup page the viewer may open, grouped.
    static func sections(_ role: Role, _ l: L) -> [(String, [(String, String)])] {
        var desk: [(String, String)] = []
        if role.can(.manageGroups) { desk.append((SitePath.adminGroups.path, l("Группы", "Groups"))) }
        if role.can(.manageUsers) { desk.append((SitePath.adminUsers.path, l("Пользователи", "Users"))) }
        if role.can(.manageOrganizations) { desk.append((SitePath.adminOrganizations.path, l("Организации", "Organizations"))) }
        var work: [(String, String)] = []
        if role.can(.manageConfiguration) {
            work += [(SitePath.adminFields.path, l("Вопросы клиенту", "Intake questions")), (SitePath.adminWorkingTime.path, l("Рабочее время и SLA", "Working time and SLA")),
                     (SitePath.adminRouting.path, l("Маршруты и звонки", "Routing and calls")), (SitePath.adminMail.path, l("Почта", "Mail")),
                     (SitePath.adminMailboxes.path, l("Почтовые ящики (IMAP)", "Mailboxes (IMAP)")),
                     (SitePath.adminMailTemplates.path, l("Тексты писем", "Mail texts")), (SitePath.adminWebhooks.path, l("Вебхуки", "Webhooks"))]
        }
        if role.can(.manageQuality) {
            work += [(SitePath.adminQuality.path, l("Оценка качества", "Quality settings")), (SitePath.adminFeedback.path, l("Отзывы о поддержке", "Feedback"))]
        }
        if role == .admin || role == .manager { work.append((SitePath.adminCanned.path, l("Шаблоны ответов", "Canned responses"))) }
        if role.can(.manageKnowledgeBase) {
            work += [(SitePath.adminKB.path, l("Разделы базы знаний", "Knowledge base sections")), (SitePath.adminBot.path, l("Помощник", "Assistant"))]
        }
        var safety: [(String, String)] = []
        if role.can(.manageBans) { safety.append((SitePath.adminBans.path, l("Баны", "Bans"))) }
        safety.append((SitePath.tokens.path, l("Токены API", "API tokens")))
        return [(l("Команда и клиенты", "Team and customers"), desk), (l("Работа поддержки", "How support works"), work), (l("Доступ", "Access"), safety)]
            .filter { !$0.1.isEmpty }
    }

    static func show(_ request: Request) async throws -> Response {
        let signedIn = try QueueController.requireStaff(request)
        let ctx = PageContext(request)
        let l = ctx.l
        let role = signedIn.viewer.role
        let checklist: SetupChecklist? = role == .admin ? try await SetupChecklist.load(request) : nil
        let content: Node<HTML.BodyContext> = .group(
            .h1(.t(l("Настройки", "Settings"))),
            .unwrap(checklist) { $0.render(l) },
            .div(.class("kb-grid settings"), .forEach(sections(role, l)) { section in
                .div(.class("card"), .h2(.t(section.0)), .ul(.forEach(section.1) { link in .li(.a(.href(link.0), .t(link.1))) }))
            })
        )
        return Layout.render(l("Настройки", "Settings"), ctx, content)
    }
}
