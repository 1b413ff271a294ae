import Foundation

/// The mails the help desk sends by itself (SPEC C2, V3, V4, A1).
public enum NotificationKind: String, Sendable, CaseIterable, Codable {
    /// To the customer, at once, for a new ticket: its number, what happens next, a link.
    case ticketCreated = "ticket_created"
    /// To the customer: an agent's public reply.
    case publicReply = "public_reply"
    /// To the customer: the status changed (other than solved).
    case statusChanged = "status_changed"
    /// To the customer: the ticket is solved.
    case ticketSolved = "ticket_solved"
    /// To the customer: who handles the request now.
    case assigneeChanged = "assignee_changed"
    /// To the assignee: the customer wrote.
    case agentCustomerReply = "agent_customer_reply"
    /// To an agent: a ticket was assigned to them.
    case agentAssigned = "agent_assigned"
    /// To a person registered by their first mail: set a password (confirms the address).
    case accountCreated = "account_created"
    /// To a person who asked: set a new password.
    case passwordReset = "password_reset"
    /// To the assignee (or, with none, the dispatchers and managers): an SLA deadline is near (SPEC S3).
    case slaWarning = "sla_warning"
    /// To the assignee and the dispatchers and managers: an SLA deadline has passed (escalation).
    case slaBreached = "sla_breached"
    /// To the dispatchers and managers, at once: a request matched a critical-problem rule (SPEC T4).
    case criticalTicket = "critical_ticket"
    /// To a staff member: mail in their name arrived without proof it is theirs; it was kept as an internal note.
    case unverifiedStaffMail = "unverified_staff_mail"
    /// To the customer, as the reply posted on their ticket: it is linked to a known problem (SPEC P1, seed 001).
    case problemLinked = "problem_linked"
    /// To every interested party of a problem, once per update: a new status, an estimate, the fix (SPEC P1, P3).
    case problemUpdate = "problem_update"
    /// To the dispatchers and managers, at once: several customers report the same failure (SPEC P3, seed 002).
    case outbreakAlert = "outbreak_alert"
    /// To the managers: nobody acknowledged an outbreak alert in time (seed 002: "более 10 минут").
    case outbreakReminder = "outbreak_reminder"
    /// To the customer, a while after the solution (SPEC Q1, seed 003): "Good" or "Bad", one click each.
    case satisfactionSurvey = "satisfaction_survey"
    /// To the supervisors of the ticket's group: a customer rated the support "Bad" and said why.
    case badRating = "bad_rating"
    /// To the admins: a webhook subscription turned itself off after repeated failed deliveries (SPEC C6).
    case webhookDisabled = "webhook_disabled"
    /// To the owner of an account blocked for a time for anomalous load (SPEC X2, seed 001: the team contacts the owner).
    case accountBlocked = "account_blocked"

    public var isForCustomer: Bool {
        ![.agentCustomerReply, .agentAssigned, .slaWarning, .slaBreached, .criticalTicket, .unverifiedStaffMail, .outbreakAlert, .outbreakReminder,
          .badRating, .webhookDisabled].contains(self)
    }
    /// RFC 3834 marking of the outgoing mail.
    public var autoSubmitted: String? {
        switch self {
        case .publicReply: nil
        case .ticketCreated: "auto-replied"
        default: "auto-generated"
        }
    }
}

/// Who a notification goes to.
public enum NotificationRecipient: Sendable, Equatable, Hashable {
    case requester
    case assignee
    case user(Int)
    /// Every active dispatcher and manager: who sorts and who answers for the deadlines.
    case supervisors
    /// Every active member of a support group.
    case group(Int)
    /// The dispatchers and managers of a support group; all supervisors when it has none (or there is no group).
    case groupSupervisors(Int?)
}

public struct NotificationIntent: Sendable, Equatable, Hashable {
    public let kind: NotificationKind
    public let recipient: NotificationRecipient
    public init(_ kind: NotificationKind, to recipient: NotificationRecipient) {
        self.kind = kind
        self.recipient = recipient
    }
}

/// What the rules need to know about one history event.
public struct NotificationFacts: Sendable {
    public enum Event: String, Sendable {
        case created, commentAdded = "comment_added", statusChanged = "status_changed", assigned
        case slaWarning = "sla_warning", slaBreached = "sla_breached", critical = "marked_critical"
        case rated = "satisfaction_rated", other
    }

    public var event: Event
    public var actorID: Int?
    public var actorIsStaff: Bool
    public var requesterID: Int
    public var assigneeID: Int?
    public var groupID: Int?
    /// Who the policy behind an `slaBreached` event tells.
    public var escalation: SLAEscalation
    /// The new assignee of an `assigned` event.
    public var newAssigneeID: Int?
    public var statusCategory: StatusCategory?
    /// The message behind this event was automatic (auto-reply, bulk, bounce): the customer is not answered.
    public var fromAutomaticMail: Bool
    /// A public reply by the same person was written in the same change: its mail says it all.
    public var accompaniedByReply: Bool
    /// A `rated` event: the rating is "Bad" and the customer said why.
    public var badRatingWithComment = false

    public init(event: Event, actorID: Int?, actorIsStaff: Bool, requesterID: Int, assigneeID: Int?, groupID: Int? = nil,
                escalation: SLAEscalation = .standard, newAssigneeID: Int? = nil,
                statusCategory: StatusCategory? = nil, fromAutomaticMail: Bool = false, accompaniedByReply: Bool = false) {
        self.event = event
        self.groupID = groupID
        self.escalation = escalation
        self.actorID = actorID
        self.actorIsStaff = actorIsStaff
        self.requesterID = requesterID
        self.assigneeID = assigneeID
        self.newAssigneeID = newAssigneeID
        self.statusCategory = statusCategory
        self.fromAutomaticMail = fromAutomaticMail
        self.accompaniedByReply = accompaniedByReply
    }
}

/// Which notifications an event causes. Nobody is told about their own action; customers are
/// never answered automatically when their message was automatic (RFC 3834).
public enum NotificationRules {
    public static func decide(_ facts: NotificationFacts) -> [NotificationIntent] {
        var intents: [NotificationIntent] = []
        let actorIsRequester = facts.actorID == facts.requesterID
        switch facts.event {
        case .created:
            if !facts.fromAutomaticMail { intents.append(.init(.ticketCreated, to: .requester)) }
            if let assignee = facts.assigneeID, assignee != facts.actorID { intents.append(.init(.agentAssigned, to: .user(assignee))) }
        case .commentAdded:
            if facts.actorIsStaff {
                if !actorIsRequester { intents.append(.init(.publicReply, to: .requester)) }
            } else if let assignee = facts.assigneeID, assignee != facts.actorID {
                intents.append(.init(.agentCustomerReply, to: .user(assignee)))
            }
        case .statusChanged:
            guard facts.actorIsStaff, !actorIsRequester, !facts.accompaniedByReply, let category = facts.statusCategory else { break }
            switch category {
            case .solved: intents.append(.init(.ticketSolved, to: .requester))
            case .pending, .open, .scheduled: intents.append(.init(.statusChanged, to: .requester))
            case .new, .closed: break
            }
        case .assigned:
            if let assignee = facts.newAssigneeID {
                if assignee != facts.actorID { intents.append(.init(.agentAssigned, to: .user(assignee))) }
                if facts.actorIsStaff, !actorIsRequester { intents.append(.init(.assigneeChanged, to: .requester)) }
            }
        case .slaWarning:
            intents.append(.init(.slaWarning, to: facts.assigneeID.map(NotificationRecipient.user) ?? .supervisors))
        case .slaBreached:
            // As the policy's escalation says; when that reaches nobody, the supervisors are told.
            let notify = facts.escalation.notify
            if notify.contains(.assignee), let assignee = facts.assigneeID { intents.append(.init(.slaBreached, to: .user(assignee))) }
            if notify.contains(.group), let group = facts.groupID { intents.append(.init(.slaBreached, to: .group(group))) }
            if notify.contains(.supervisors) || intents.isEmpty { intents.append(.init(.slaBreached, to: .supervisors)) }
        case .critical:
            intents.append(.init(.criticalTicket, to: .supervisors))
        case .rated:
            if facts.badRatingWithComment { intents.append(.init(.badRating, to: .groupSupervisors(facts.groupID))) }
        case .other:
            break
        }
        if facts.fromAutomaticMail { intents.removeAll { $0.kind.isForCustomer } }
        return intents
    }
}

/// A mail template: subject and body with `{{placeholders}}`.
public struct MailTemplate: Sendable, Equatable, Codable {
    public var subject: String
    public var body: String

    public init(subject: String, body: String) {
        self.subject = subject
        self.body = body
    }

    /// Fills `{{name}}` placeholders; unknown ones are left empty.
    public func render(_ values: [String: String]) -> (subject: String, body: String) {
        let filled = Self.fill(subject, values)
        return (filled.utf8.contains(0x0A) ? filled.replacingOccurrences(of: "\n", with: " ") : filled, Self.fill(body, values))
    }

    /// Replaces each `{{ key }}` with its value (unknown keys with nothing); an unclosed `{{` stays as
    /// written. Scans UTF-8 bytes: the braces are ASCII, so every cut falls between characters.
    static func fill(_ text: String, _ values: [String: String]) -> String {
        let bytes = text.utf8
        var out = ""
        out.reserveCapacity(bytes.count + 256)
        var copied = bytes.startIndex
        var cursor = bytes.startIndex
        func pair(at index: String.UTF8View.Index, _ byte: UInt8) -> Bool {
            guard bytes[index] == byte else { return false }
            let next = bytes.index(after: index)
            return next < bytes.endIndex && bytes[next] == byte
        }
        while cursor < bytes.endIndex {
            guard pair(at: cursor, UInt8(ascii: "{")) else { cursor = bytes.index(after: cursor); continue }
            let keyStart = bytes.index(cursor, offsetBy: 2)
            var close = keyStart
            while close < bytes.endIndex && !pair(at: close, UInt8(ascii: "}")) { close = bytes.index(after: close) }
            guard close < bytes.endIndex else { break }
            out += text[copied..<cursor]
            var key = text[keyStart..<close].unicodeScalars
            func isSpace(_ s: Unicode.Scalar) -> Bool { s == " " || s == "\t" || s.properties.generalCategory == .spaceSeparator }
            while let first = key.first, isSpace(first) { key = key.dropFirst() }
            while let last = key.last, isSpace(last) { key = key.dropLast() }
            out += values[String(key)] ?? ""
            cursor = bytes.index(close, offsetBy: 2)
            copied = cursor
        }
        out += text[copied...]
        return out
    }

    /// The placeholders every template may use.
    public static let placeholders = ["name", "number", "subject", "link", "body", "status", "assignee", "actor", "requester", "tag",
                                      "metric", "due", "reply_by", "account", "problem", "problem_title", "summary",
                                      "incident", "failure_kind", "customers", "tickets", "articles", "resolution", "good", "bad", "until",
                                      "rating", "comment"]

    /// The built-in text of each notification in each language; admins may replace any of them.
    public static func standard(_ kind: NotificationKind, _ language: Language) -> MailTemplate {
        let ru = language == .ru
        let customerSubject = "[{{tag}}] Re: {{subject}} [#{{number}}]"
        switch kind {
        case .ticketCreated:
            return ru
                ? MailTemplate(subject: customerSubject, body: """
                    Здравствуйте, {{name}}!

                    Ваше обращение принято и зарегистрировано под номером {{number}}.
                    {{incident}}{{reply_by}} Чтобы дополнить заявку, просто ответьте на это письмо, не меняя тему.

                    Заявку можно посмотреть здесь: {{link}}
                    {{articles}}{{account}}
                    Это письмо отправлено автоматически.
                    """)
                : MailTemplate(subject: customerSubject, body: """
                    Hello {{name}},

                    Your request has been received and registered as number {{number}}.
                    {{incident}}{{reply_by}} To add to the request, simply reply to this message without changing the subject.

                    You can follow the request here: {{link}}
                    {{articles}}{{account}}
                    This message was sent automatically.
                    """)
        case .publicReply:
            return ru
                ? MailTemplate(subject: customerSubject, body: """
                    {{body}}

                    —
                    {{actor}}, служба поддержки
                    Заявка {{number}} · статус: {{status}} · {{link}}
                    Чтобы ответить, просто ответьте на это письмо.
                    """)
                : MailTemplate(subject: customerSubject, body: """
                    {{body}}

                    —
                    {{actor}}, support team
                    Request {{number}} · status: {{status}} · {{link}}
                    To answer, simply reply to this message.
                    """)
        case .statusChanged:
            return ru
                ? MailTemplate(subject: customerSubject, body: """
                    Здравствуйте, {{name}}!

                    Статус вашей заявки {{number}} изменён: {{status}}.

                    Заявка: {{link}}
                    """)
                : MailTemplate(subject: customerSubject, body: """
                    Hello {{name}},

                    The status of your request {{number}} is now: {{status}}.

                    Request: {{link}}
                    """)
        case .ticketSolved:
            return ru
                ? MailTemplate(subject: customerSubject, body: """
                    Здравствуйте, {{name}}!

                    Ваша заявка {{number}} решена. Если проблема осталась, ответьте на это письмо — заявка откроется снова.
                    {{resolution}}
                    Заявка: {{link}}
                    """)
                : MailTemplate(subject: customerSubject, body: """
                    Hello {{name}},

                    Your request {{number}} has been solved. If the problem remains, reply to this message and the request will reopen.
                    {{resolution}}
                    Request: {{link}}
                    """)
        case .assigneeChanged:
            return ru
                ? MailTemplate(subject: customerSubject, body: """
                    Здравствуйте, {{name}}!

                    Вашей заявкой {{number}} занимается {{assignee}}.

                    Заявка: {{link}}
                    """)
                : MailTemplate(subject: customerSubject, body: """
                    Hello {{name}},

                    Your request {{number}} is now handled by {{assignee}}.

                    Request: {{link}}
                    """)
        case .agentCustomerReply:
            return ru
                ? MailTemplate(subject: "[{{tag}}] Ответ клиента: {{subject}} [#{{number}}]", body: """
                    {{requester}} ответил(а) в заявке {{number}}:

                    {{body}}

                    Открыть заявку: {{link}}
                    """)
                : MailTemplate(subject: "[{{tag}}] Customer reply: {{subject}} [#{{number}}]", body: """
                    {{requester}} replied on request {{number}}:

                    {{body}}

                    Open the request: {{link}}
                    """)
        case .agentAssigned:
            return ru
                ? MailTemplate(subject: "[{{tag}}] Вам назначена заявка: {{subject}} [#{{number}}]", body: """
                    {{name}}, вам назначена заявка {{number}} от {{requester}}.

                    Тема: {{subject}}

                    Открыть заявку: {{link}}
                    """)
                : MailTemplate(subject: "[{{tag}}] Assigned to you: {{subject}} [#{{number}}]", body: """
                    {{name}}, request {{number}} from {{requester}} has been assigned to you.

                    Subject: {{subject}}

                    Open the request: {{link}}
                    """)
        case .accountCreated:
            return ru
                ? MailTemplate(subject: "[{{tag}}] Ваша учётная запись в службе поддержки", body: """
                    Здравствуйте, {{name}}!

                    Мы получили ваше письмо и создали для вас учётную запись, чтобы вы могли следить за своими заявками.
                    Чтобы подтвердить адрес и задать пароль, откройте ссылку (она действует 7 дней):

                    {{link}}

                    Если вы не писали в поддержку, просто проигнорируйте это письмо.
                    """)
                : MailTemplate(subject: "[{{tag}}] Your support account", body: """
                    Hello {{name}},

                    We received your message and created an account for you so you can follow your requests.
                    To confirm your address and set a password, open this link (valid for 7 days):

                    {{link}}

                    If you did not write to support, simply ignore this message.
                    """)
        case .slaWarning:
            return ru
                ? MailTemplate(subject: "[{{tag}}] Скоро срок SLA: {{subject}} [#{{number}}]", body: """
                    {{name}}, по заявке {{number}} от {{requester}} подходит срок: {{metric}} — до {{due}} (МСК).

                    Тема: {{subject}}
                    Исполнитель: {{assignee}}
                    Статус: {{status}}

                    Открыть заявку: {{link}}
                    """)
                : MailTemplate(subject: "[{{tag}}] SLA due soon: {{subject}} [#{{number}}]", body: """
                    {{name}}, request {{number}} from {{requester}} is nearly due: {{metric}} by {{due}} (Moscow time).

                    Subject: {{subject}}
                    Assignee: {{assignee}}
                    Status: {{status}}

                    Open the request: {{link}}
                    """)
        case .slaBreached:
            return ru
                ? MailTemplate(subject: "[{{tag}}] Нарушен срок SLA: {{subject}} [#{{number}}]", body: """
                    {{name}}, по заявке {{number}} от {{requester}} нарушен срок: {{metric}} — нужно было до {{due}} (МСК).

                    Тема: {{subject}}
                    Исполнитель: {{assignee}}
                    Статус: {{status}}

                    Открыть заявку: {{link}}
                    """)
                : MailTemplate(subject: "[{{tag}}] SLA breached: {{subject}} [#{{number}}]", body: """
                    {{name}}, request {{number}} from {{requester}} missed its deadline: {{metric}} was due by {{due}} (Moscow time).

                    Subject: {{subject}}
                    Assignee: {{assignee}}
                    Status: {{status}}

                    Open the request: {{link}}
                    """)
        case .criticalTicket:
            return ru
                ? MailTemplate(subject: "[{{tag}}] КРИТИЧНО: {{subject}} [#{{number}}]", body: """
                    {{name}}, заявка {{number}} от {{requester}} отмечена как критическая: {{metric}}.
                    Решение таких проблем имеет наивысший приоритет.

                    Тема: {{subject}}
                    Исполнитель: {{assignee}}

                    Открыть заявку: {{link}}
                    """)
                : MailTemplate(subject: "[{{tag}}] CRITICAL: {{subject}} [#{{number}}]", body: """
                    {{name}}, request {{number}} from {{requester}} is marked critical: {{metric}}.
                    Problems like this have the highest priority.

                    Subject: {{subject}}
                    Assignee: {{assignee}}

                    Open the request: {{link}}
                    """)
        case .unverifiedStaffMail:
            return ru
                ? MailTemplate(subject: "[{{tag}}] Письмо от вашего имени не подтверждено: {{subject}} [#{{number}}]", body: """
                    {{name}}, по заявке {{number}} пришло письмо с вашим адресом в поле «От», но мы не смогли подтвердить, что его отправили вы: это не ответ на наше письмо вам, и почтовый сервер не подтвердил подпись DKIM или SPF.

                    Поэтому письмо сохранено как внутренняя заметка с пометкой «отправитель не подтверждён» и клиенту не отправлено.

                    Если письмо писали вы, ответьте клиенту из заявки или ответом на наше уведомление. Если нет — кто-то пишет от вашего имени; сообщите администратору.

                    Открыть заявку: {{link}}
                    """)
                : MailTemplate(subject: "[{{tag}}] Mail in your name not verified: {{subject}} [#{{number}}]", body: """
                    {{name}}, a message with your address in From: arrived on request {{number}}, but we could not verify that you sent it: it does not answer our mail to you, and no mail server confirmed a DKIM signature or SPF.

                    So it was kept as an internal note marked "sender not verified" and was not sent to the customer.

                    If you wrote it, reply to the customer from the request or by answering one of our notifications. If not, someone is writing in your name; tell your administrator.

                    Open the request: {{link}}
                    """)
        case .problemLinked:
            return ru
                ? MailTemplate(subject: customerSubject, body: """
                    Здравствуйте, {{name}}!

                    Ваше обращение связано с известной проблемой {{problem}} «{{problem_title}}».
                    {{summary}}

                    Мы сообщим вам, когда по ней появятся новости: когда станет известен срок исправления и когда она будет исправлена. Номер {{problem}} можно называть в обращениях.
                    """)
                : MailTemplate(subject: customerSubject, body: """
                    Hello {{name}},

                    Your request is linked to a known problem, {{problem}} "{{problem_title}}".
                    {{summary}}

                    We will tell you when there is news: when the time of the fix is known and when it is fixed. You can mention {{problem}} when you contact us.
                    """)
        case .problemUpdate:
            return ru
                ? MailTemplate(subject: "[{{tag}}] {{problem}}: {{problem_title}} — {{status}}", body: """
                    Здравствуйте, {{name}}!

                    Новости по проблеме {{problem}} «{{problem_title}}», которая касается вашего обращения {{number}}:

                    {{body}}

                    Статус проблемы: {{status}}.
                    Ваша заявка: {{link}}
                    """)
                : MailTemplate(subject: "[{{tag}}] {{problem}}: {{problem_title}} — {{status}}", body: """
                    Hello {{name}},

                    News about problem {{problem}} "{{problem_title}}", which concerns your request {{number}}:

                    {{body}}

                    Problem status: {{status}}.
                    Your request: {{link}}
                    """)
        case .outbreakAlert:
            return ru
                ? MailTemplate(subject: "[{{tag}}] Возможен массовый сбой: {{failure_kind}}", body: """
                    {{name}}, похоже на массовый сбой.

                    «{{failure_kind}}» — обращений от разных клиентов: {{customers}}.

                    {{tickets}}

                    Объявить массовый сбой или отклонить оповещение: {{link}}
                    """)
                : MailTemplate(subject: "[{{tag}}] Possible mass incident: {{failure_kind}}", body: """
                    {{name}}, this looks like a mass incident.

                    "{{failure_kind}}" — reports from distinct customers: {{customers}}.

                    {{tickets}}

                    Declare the mass incident or dismiss the alert: {{link}}
                    """)
        case .outbreakReminder:
            return ru
                ? MailTemplate(subject: "[{{tag}}] ПОВТОРНО: никто не отреагировал на массовый сбой — {{failure_kind}}", body: """
                    {{name}}, оповещение о возможном массовом сбое открыто с {{due}}, и никто на него не отреагировал.

                    «{{failure_kind}}» — обращений от разных клиентов: {{customers}}.

                    {{tickets}}

                    Объявить массовый сбой или отклонить оповещение: {{link}}
                    """)
                : MailTemplate(subject: "[{{tag}}] AGAIN: nobody has acted on a possible mass incident — {{failure_kind}}", body: """
                    {{name}}, a possible mass incident alert has been open since {{due}} and nobody has acted on it.

                    "{{failure_kind}}" — reports from distinct customers: {{customers}}.

                    {{tickets}}

                    Declare the mass incident or dismiss the alert: {{link}}
                    """)
        case .satisfactionSurvey:
            return ru
                ? MailTemplate(subject: "[{{tag}}] Оцените нашу работу по заявке {{number}}", body: """
                    Здравствуйте, {{name}}!

                    Ваша заявка {{number}} «{{subject}}» решена. Оцените, пожалуйста, работу поддержки — достаточно одного нажатия:

                    Хорошо: {{good}}
                    Плохо: {{bad}}

                    На странице оценки можно оставить комментарий. Ссылки действуют до {{until}} (МСК), до этого оценку можно изменить.
                    Спасибо, что помогаете нам стать лучше!
                    """)
                : MailTemplate(subject: "[{{tag}}] Rate our work on request {{number}}", body: """
                    Hello {{name}},

                    Your request {{number}} "{{subject}}" has been solved. Please rate the support — one click is enough:

                    Good: {{good}}
                    Bad: {{bad}}

                    You can leave a comment on the rating page. The links work until {{until}} (Moscow time); until then you can change your rating.
                    Thank you for helping us improve!
                    """)
        case .accountBlocked:
            return ru
                ? MailTemplate(subject: "[{{tag}}] Доступ временно ограничен: аномальная нагрузка", body: """
                    {{name}}, с вашей учётной записи {{subject}} поступает аномальная нагрузка на службу поддержки, поэтому доступ к ней временно ограничен до {{until}} (МСК).

                    Что произошло: {{body}}

                    Обычно причина — зациклившаяся интеграция или скрипт с вашим токеном API. Устраните её; доступ восстановится сам в указанное время. Если нужно раньше или это ошибка — ответьте на это письмо.
                    """)
                : MailTemplate(subject: "[{{tag}}] Access limited for a time: anomalous load", body: """
                    {{name}}, your account {{subject}} puts an anomalous load on the support service, so its access is limited until {{until}} (Moscow time).

                    What happened: {{body}}

                    The cause is usually a looping integration or script using your API token. Please remove it; access comes back by itself at that time. If you need it sooner or this is a mistake, reply to this mail.
                    """)
        case .webhookDisabled:
            return ru
                ? MailTemplate(subject: "[{{tag}}] Вебхук отключён: {{subject}}", body: """
                    {{name}}, подписка на события по адресу {{subject}} отключена: доставки не проходят.

                    Причина: {{body}}

                    Проверьте получателя и включите подписку снова: {{link}}
                    """)
                : MailTemplate(subject: "[{{tag}}] Webhook turned off: {{subject}}", body: """
                    {{name}}, the event subscription to {{subject}} was turned off: deliveries keep failing.

                    Reason: {{body}}

                    Check the receiver and turn the subscription on again: {{link}}
                    """)
        case .badRating:
            return ru
                ? MailTemplate(subject: "[{{tag}}] Плохая оценка: {{subject}} [#{{number}}]", body: """
                    {{name}}, клиент {{requester}} оценил работу по заявке {{number}} как «Плохо».

                    Комментарий клиента:
                    {{comment}}

                    Исполнитель: {{assignee}}
                    Открыть заявку: {{link}}
                    """)
                : MailTemplate(subject: "[{{tag}}] Bad rating: {{subject}} [#{{number}}]", body: """
                    {{name}}, the customer {{requester}} rated the work on request {{number}} as "Bad".

                    The customer's comment:
                    {{comment}}

                    Assignee: {{assignee}}
                    Open the request: {{link}}
                    """)
        case .passwordReset:
            return ru
                ? MailTemplate(subject: "[{{tag}}] Восстановление пароля", body: """
                    Здравствуйте, {{name}}!

                    Чтобы задать новый пароль, откройте ссылку (она действует 2 часа):

                    {{link}}

                    Если вы не запрашивали восстановление пароля, просто проигнорируйте это письмо.
                    """)
                : MailTemplate(subject: "[{{tag}}] Password reset", body: """
                    Hello {{name}},

                    To set a new password, open this link (valid for 2 hours):

                    {{link}}

                    If you did not ask to reset your password, simply ignore this message.
                    """)
        }
    }
}

/// Finds the ticket a message belongs to from its subject or recipient address (SPEC C1).
public enum MailThreading {
    /// The number in a `[#10042]` token of the subject (the last one wins: it is ours).
    public static func ticketNumber(inSubject subject: String) -> Int? {
        var found: Int?
        var rest = Substring(subject)
        while let open = rest.range(of: "[#") {
            let digits = rest[open.upperBound...].prefix(while: { $0.isASCII && $0.isNumber })
            let after = rest[open.upperBound...].dropFirst(digits.count)
            if !digits.isEmpty, digits.count <= 12, after.hasPrefix("]"), let number = Int(digits) { found = number }
            rest = rest[open.upperBound...]
        }
        return found
    }

    /// The number in a plus-address (`support+10042@…`) of one of the support mailboxes.
    public static func ticketNumber(inAddress address: String) -> Int? {
        let local = address.prefix(while: { $0 != "@" })
        guard let plus = local.lastIndex(of: "+") else { return nil }
        let tag = local[local.index(after: plus)...]
        return tag.isEmpty || tag.count > 12 ? nil : Int(tag)
    }

    /// The address without a `+tag`, for comparing with the support addresses.
    public static func baseAddress(_ address: String) -> String {
        let lower = address.lowercased()
        guard let at = lower.lastIndex(of: "@") else { return lower }
        let local = lower[..<at]
        let base = local.firstIndex(of: "+").map { local[..<$0] } ?? local
        return String(base + lower[at...])
    }

    /// The number in one of our own Message-IDs (`zy.10042.xxxx@host`).
    public static func ticketNumber(inMessageID id: String) -> Int? {
        guard id.hasPrefix("zy.") else { return nil }
        let digits = id.dropFirst(3).prefix(while: { $0.isNumber })
        return Int(digits)
    }
}

/// What the acknowledgement promises: when the customer hears back (from the ticket's first-response
/// SLA clock: its target in working time and the moment it falls due, in Moscow time), and the
/// paragraph with the set-password link for a customer who has no password yet.
public enum AcknowledgementText {
    /// "Специалист поддержки ответит вам в течение 2 рабочих часов — до 14:30 03.12.2026 (мск)."
    /// Without a clock: the promise to answer by email, with no time.
    public static func replyBy(targetMinutes: Int?, due: String?, _ language: Language) -> String {
        let ru = language == .ru
        guard let targetMinutes, targetMinutes > 0, let due else {
            return ru ? "Специалист поддержки рассмотрит его и ответит вам по электронной почте."
                      : "A support specialist will review it and answer you by email."
        }
        let span = duration(minutes: targetMinutes, language)
        return ru ? "Специалист поддержки ответит вам в течение \(span) — до \(due) (мск)."
                  : "A support specialist will answer you within \(span), by \(due) Moscow time."
    }

    /// "2 рабочих часов" / "1 рабочего часа" / "90 рабочих минут" (genitive, after «в течение»);
    /// "2 working hours" / "1 working hour" / "90 working minutes".
    public static func duration(minutes: Int, _ language: Language) -> String {
        let hours = minutes % 60 == 0
        let count = hours ? minutes / 60 : minutes
        if language == .en {
            let unit = hours ? (count == 1 ? "hour" : "hours") : (count == 1 ? "minute" : "minutes")
            return "\(count) working \(unit)"
        }
        let singular = count % 10 == 1 && count % 100 != 11
        let unit = hours ? (singular ? "рабочего часа" : "рабочих часов") : (singular ? "рабочей минуты" : "рабочих минут")
        return "\(count) \(unit)"
    }

    /// The line an acknowledgement carries when the request was linked on arrival to an active mass
    /// incident (SPEC P3): which one, and the words the team chose; "" otherwise.
    public static func incident(code: String?, text: String?, _ language: Language) -> String {
        guard let code, let text, !text.isEmpty else { return "" }
        return (language == .ru ? "Обращение связано с массовым сбоем \(code). " : "Your request is part of the mass incident \(code). ") + text + "\n"
    }

    /// Knowledge-base articles that may already answer the request (issue 17, SPEC K2), or "".
    public static func articles(_ articles: [(title: String, url: String)], _ language: Language) -> String {
        guard !articles.isEmpty else { return "" }
        let heading = language == .ru ? "Возможно, ответ уже есть в базе знаний:" : "The knowledge base may already have the answer:"
        return "\n" + heading + "\n" + articles.map { "— \($0.title)\n  \($0.url)" }.joined(separator: "\n") + "\n"
    }

    /// The set-password paragraph (with its blank lines), or "" when the customer has a password.
    public static func account(link: String?, _ language: Language) -> String {
        guard let link else { return "" }
        return language == .ru
            ? "\nДля вас создана учётная запись на портале поддержки. Задайте пароль по ссылке (она действует 7 дней), "
              + "чтобы следить за заявками и создавать новые:\n\(link)\n"
            : "\nAn account on the support portal has been created for you. Set your password with this link (valid for 7 days) "
              + "to follow your requests and file new ones:\n\(link)\n"
    }
}
