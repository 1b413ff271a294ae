import Foundation

/// Every user-facing string of the domain, in Russian and English (SPEC N2).
public struct Localizer: Sendable {
    public let language: Language

    public init(_ language: Language) { self.language = language }

    private func pick(_ ru: String, _ en: String) -> String { language == .ru ? ru : en }

    /// A sentence a person can act on, for each domain error.
    public func message(for error: ZayavkaError) -> String {
        switch error {
        case .notFound(let entity, let id):
            return pick("\(entityName(entity, .ru)) «\(id)» не найден(а).", "\(entityName(entity, .en)) “\(id)” was not found.")
        case .forbidden:
            return pick("У вас нет прав на это действие.", "You are not allowed to do this.")
        case .unauthenticated:
            return pick("Нужно войти: токен отсутствует, неверен или отозван.", "Please sign in: the token is missing, wrong or revoked.")
        case .illegalTransition(let from, let to):
            return pick("Нельзя перевести заявку из статуса «\(from)» в «\(to)».", "A ticket cannot move from “\(from)” to “\(to)”.")
        case .unknownStatus(let key):
            return pick("Неизвестный статус «\(key)».", "Unknown status “\(key)”.")
        case .ticketClosed(let number):
            return pick("Заявка №\(number) закрыта. Создайте новую заявку.", "Ticket #\(number) is closed. Please file a new ticket.")
        case .validation(let errors):
            let details = errors.map { "\($0.field): \(fieldMessage($0))" }.joined(separator: "; ")
            return pick("Проверьте данные: \(details).", "Please check the input: \(details).")
        case .conflict(let field, let value):
            return pick("Значение «\(value)» поля \(field) уже занято.", "The value “\(value)” of \(field) is already taken.")
        case .payloadTooLarge(let limit):
            return pick("Файл слишком большой: не более \(Self.formatBytes(limit, .ru)).",
                        "The file is too large: at most \(Self.formatBytes(limit, .en)).")
        case .unsupportedMediaType(let expected):
            return pick("Неверный тип тела запроса: ожидается Content-Type: \(expected).", "Wrong body type: expected Content-Type: \(expected).")
        case .tooManyRequests(let seconds):
            let minutes = max(1, (seconds + 59) / 60)
            return pick("Слишком много попыток. Попробуйте снова через \(count(minutes, ru: ("минуту", "минуты", "минут"), en: ("minute", "minutes"))).",
                        "Too many attempts. Try again in \(count(minutes, ru: ("минуту", "минуты", "минут"), en: ("minute", "minutes"))).")
        case .gone:
            return pick("Срок действия ссылки истёк; ничего не изменено.", "The link has expired; nothing was changed.")
        case .overloaded(let seconds, let blockedUntil?):
            _ = seconds
            return pick("Доступ временно ограничен до \(Self.moscowDate(blockedUntil)) (МСК): с этой учётной записи или адреса идёт аномальная нагрузка. Устраните причину (например, зациклившуюся интеграцию); если это ошибка, напишите в поддержку.",
                        "Access is limited until \(Self.moscowDate(blockedUntil)) (Moscow time): this account or address puts an anomalous load on the service. Remove the cause (a looping integration, say); if this is a mistake, write to support.")
        case .overloaded(let seconds, nil):
            return pick("Слишком много запросов. Повторите через \(count(max(1, seconds), ru: ("секунду", "секунды", "секунд"), en: ("second", "seconds"))).",
                        "Too many requests. Try again in \(count(max(1, seconds), ru: ("секунду", "секунды", "секунд"), en: ("second", "seconds"))).")
        case .widget(let refusal):
            switch refusal {
            case .invalid: return pick("Подпись пользователя недействительна: токен виджета подделан или повреждён. Обновите страницу продукта.",
                                       "The user's signature is not valid: the widget token is forged or damaged. Reload the product's page.")
            case .expired: return pick("Срок действия токена виджета истёк. Обновите страницу продукта.", "The widget token has expired. Reload the product's page.")
            case .identityOff: return pick("Вход через продукт не настроен в службе поддержки.", "Signing in through the product is not set up at the help desk.")
            case .anonymousOff: return pick("Виджет доступен только пользователям, вошедшим в продукт.", "The widget serves only users signed in to the product.")
            case .staff: return pick("Этот адрес принадлежит сотруднику поддержки: войдите в службу поддержки.", "This address belongs to support staff: sign in to the help desk.")
            case .session: return pick("Сеанс виджета истёк. Откройте виджет заново.", "The widget session has expired. Open the widget again.")
            }
        case .banned(let until):
            let end = until.map { Self.moscowDate($0) }
            return pick("Доступ к службе поддержки для вас закрыт\(end.map { " до \($0) (МСК)" } ?? ""): учётная запись или адрес заблокированы за нарушение правил общения. Если это ошибка, напишите руководителю поддержки.",
                        "Access to the support service is closed to you\(end.map { " until \($0) (Moscow time)" } ?? ""): the account or address is banned for breaking the rules of conduct. If this is a mistake, write to the head of support.")
        }
    }

    /// A moment as the Russian desk writes it: day, month, year, hours and minutes, Moscow time.
    public static func moscowDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Moscow") ?? TimeZone(secondsFromGMT: 3 * 3600)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ n: Int?) -> String { let v = n ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(two(c.day)).\(two(c.month)).\(c.year ?? 0) \(two(c.hour)):\(two(c.minute))"
    }

    /// What is wrong with one field.
    public func fieldMessage(_ error: FieldError) -> String {
        switch error.code {
        case .required: return pick("обязательное поле", "is required")
        case .tooShort: return pick("не короче \(error.argument ?? "?") символов", "must be at least \(error.argument ?? "?") characters")
        case .tooLong: return pick("не длиннее \(error.argument ?? "?") символов", "must be at most \(error.argument ?? "?") characters")
        case .invalid: return pick("неверный формат", "has an invalid format")
        case .unknownValue:
            if let allowed = error.argument, !allowed.isEmpty {
                return pick("недопустимое значение (возможные: \(allowed))", "is not an allowed value (allowed: \(allowed))")
            }
            return pick("недопустимое значение", "is not an allowed value")
        case .mustBeInFuture: return pick("должно быть в будущем", "must be in the future")
        case .notAllowed: return pick("здесь не допускается", "is not allowed here")
        case .quotaExceeded:
            let parts = (error.argument ?? "").split(separator: "/")
            let files = parts.first.map(String.init) ?? "?", megabytes = parts.count > 1 ? String(parts[1]) : "?"
            return pick("превышен лимит неотправленных файлов (\(files) файлов, \(megabytes) МБ): отправьте или удалите загруженные; неприкреплённые файлы удаляются через сутки",
                        "over the limit of files not yet sent (\(files) files, \(megabytes) MB): send or remove the uploaded ones; files never attached are removed after a day")
        case .controlCharacters:
            return pick("содержит недопустимые управляющие символы (NUL, перевод строки и т. п.)",
                        "contains control characters that are not allowed (NUL, line breaks and the like)")
        case .paidPlanOnly: return pick("только для клиентов на платном тарифе", "is only for customers on a paid plan")
        case .legalHold:
            return pick("данные под удержанием (legal hold): «\(error.argument ?? "")»; удалить их можно, когда удержание снимут",
                        "is under a legal hold: “\(error.argument ?? "")”; the data can be erased once the hold is released")
        case .outOfRange:
            return pick("вне допустимого: \(error.argument ?? "")", "is out of range: \(error.argument ?? "")")
        case .privateAddress:
            let address = error.argument.map { " (\($0))" } ?? ""
            return pick("ведёт во внутреннюю сеть, на локальный адрес или на сам сервис поддержки\(address): такие адреса не допускаются",
                        "leads into a private network, to a local address or to this help desk itself\(address): such addresses are not allowed")
        case .unresolvable: return pick("имя сервера не находится в DNS", "the host name does not resolve")
        case .banned: return pick("клиент или адрес заблокирован (бан): обращения от него не принимаются", "the customer or address is banned: no requests are taken from them")
        case .offline: return pick("сейчас в чате никого нет: оставьте заявку, и мы ответим", "nobody is in the chat right now: leave a request and we will answer")
        }
    }

    private func entityName(_ entity: String, _ language: Language) -> String {
        let names: [String: (String, String)] = [
            "ticket": ("Заявка", "Ticket"), "user": ("Пользователь", "User"), "group": ("Группа", "Group"),
            "organization": ("Организация", "Organization"), "token": ("Токен", "Token"),
            "attachment": ("Файл", "Attachment"), "status": ("Статус", "Status"), "intake_field": ("Поле", "Field"),
            "route": ("Адрес", "Path"), "canned_response": ("Шаблон ответа", "Canned response"),
            "callback": ("Обратный звонок", "Callback"), "legal_hold": ("Удержание данных", "Legal hold"),
            "article": ("Статья", "Article"), "category": ("Раздел", "Category"), "revision": ("Версия", "Revision"),
            "bot_node": ("Пункт меню", "Menu item"), "file": ("Файл", "File"),
        ]
        let pair = names[entity] ?? (entity, entity)
        return language == .ru ? pair.0 : pair.1
    }

    /// "1 заявка, 2 заявки, 5 заявок" / "1 ticket, 2 tickets".
    public func count(_ n: Int, ru forms: (String, String, String), en: (String, String)) -> String {
        switch language {
        case .ru: return "\(n) \(Self.russianPlural(n, forms))"
        case .en: return "\(n) \(n == 1 ? en.0 : en.1)"
        }
    }

    /// Russian plural choice: one (1, 21, 101), few (2–4, 22–24), many (0, 5–20, 25–30, 111).
    public static func russianPlural(_ n: Int, _ forms: (one: String, few: String, many: String)) -> String {
        let mod100 = abs(n) % 100
        let mod10 = abs(n) % 10
        if (11...14).contains(mod100) { return forms.many }
        if mod10 == 1 { return forms.one }
        if (2...4).contains(mod10) { return forms.few }
        return forms.many
    }

    /// "5 Б", "12 КБ", "3 МБ" / "5 B", "12 KB", "3 MB" (binary units, as file managers show them).
    public static func formatBytes(_ bytes: Int, _ language: Language) -> String {
        let ru = language == .ru
        if bytes < 1024 { return "\(bytes) " + (ru ? "Б" : "B") }
        if bytes < 1_048_576 { return "\(Int((Double(bytes) / 1024).rounded())) " + (ru ? "КБ" : "KB") }
        let mib = Double(bytes) / 1_048_576
        let number = mib >= 10 || mib.rounded() == mib ? String(format: "%.0f", mib) : String(format: "%.1f", mib)
        return number + (ru ? " МБ" : " MB")
    }
}

// MARK: Names of the vocabulary, for pages and messages
extension Localizer {
    public func name(_ type: TicketType) -> String {
        switch type {
        case .question: pick("Вопрос", "Question")
        case .suggestion: pick("Предложение", "Suggestion")
        case .problem: pick("Проблема", "Problem")
        case .incident: pick("Инцидент", "Incident")
        case .task: pick("Задача", "Task")
        }
    }

    public func name(_ priority: TicketPriority) -> String {
        switch priority {
        case .low: pick("Низкий", "Low")
        case .normal: pick("Обычный", "Normal")
        case .high: pick("Высокий", "High")
        case .urgent: pick("Срочный", "Urgent")
        }
    }

    public func name(_ channel: TicketChannel) -> String {
        switch channel {
        case .web: pick("Портал", "Portal")
        case .email: pick("Почта", "Email")
        case .phone: pick("Телефон", "Phone")
        case .api: pick("API", "API")
        case .widget: pick("Виджет", "Widget")
        case .chat: pick("Чат", "Chat")
        }
    }

    public func name(_ responsibility: Responsibility) -> String {
        switch responsibility {
        case .oursSoftware: pick("Наша: программа", "Ours: software")
        case .oursServers: pick("Наша: серверы", "Ours: servers")
        case .oursServices: pick("Наша: сервисы", "Ours: services")
        case .customerHardware: pick("Клиента: оборудование", "Customer's: hardware")
        case .customerNetwork: pick("Клиента: сеть", "Customer's: network")
        case .customerOS: pick("Клиента: ОС", "Customer's: OS")
        case .customerAntivirus: pick("Клиента: антивирус", "Customer's: antivirus")
        case .customerOtherSoftware: pick("Клиента: другое ПО", "Customer's: other software")
        }
    }

    public func name(_ kind: IntakeFieldDefinition.Kind) -> String {
        switch kind {
        case .text: pick("Строка", "A line of text")
        case .multiline: pick("Несколько строк", "Several lines")
        case .choice: pick("Выбор из списка", "A choice")
        case .phone: pick("Телефон", "Phone")
        case .url: pick("Ссылка", "Link")
        case .number: pick("Число", "Number")
        case .boolean: pick("Да или нет", "Yes or no")
        }
    }

    public func name(_ urgency: Urgency) -> String {
        pick("Срочность \(urgency.level)", "Urgency \(urgency.level)")
    }

    public func name(_ role: Role) -> String {
        switch role {
        case .customer: pick("Клиент", "Customer")
        case .agent: pick("Специалист", "Agent")
        case .dispatcher: pick("Диспетчер", "Dispatcher")
        case .manager: pick("Руководитель", "Manager")
        case .admin: pick("Администратор", "Administrator")
        }
    }
}
