import Foundation

/// A question the intake form asks (SPEC C7): configurable per team, stored per ticket.
public struct IntakeFieldDefinition: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case text, multiline, choice, phone, url, number, boolean
    }

    public let key: String
    public let kind: Kind
    public let labelRu: String
    public let labelEn: String
    public let options: [String]
    public let required: Bool
    public let customerVisible: Bool

    public init(key: String, kind: Kind, labelRu: String, labelEn: String, options: [String] = [],
                required: Bool = false, customerVisible: Bool = true) {
        self.key = key
        self.kind = kind
        self.labelRu = labelRu
        self.labelEn = labelEn
        self.options = options
        self.required = required
        self.customerVisible = customerVisible
    }

    public func label(_ language: Language) -> String { language == .ru ? labelRu : labelEn }

    /// A choice's option is its value, optionally followed by its labels:
    /// "cash_shift|Не открывается кассовая смена|The cash shift will not open".
    public var optionValues: [String] { options.map { String($0.split(separator: "|", omittingEmptySubsequences: false)[0]) } }

    /// What the form shows for an option value (the value itself when it has no labels).
    public func optionLabel(_ value: String, _ language: Language) -> String {
        guard let option = options.first(where: { $0 == value || $0.hasPrefix(value + "|") }) else { return value }
        let parts = option.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        switch (parts.count, language) {
        case (1, _): return value
        case (2, _): return parts[1]
        case (_, .ru): return parts[1]
        default: return parts[2].isEmpty ? parts[1] : parts[2]
        }
    }

    /// Checks values against the definitions; unknown keys and malformed values are errors,
    /// missing required ones too when `requireAll` (customer-filed tickets). Agents may file
    /// with gaps, which the ticket page shows as missing.
    public static func validate(values: [String: String], against definitions: [IntakeFieldDefinition],
                                requireAll: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        let byKey = Dictionary(definitions.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let definition = byKey[key] else {
                errors.append(FieldError("fields.\(key)", .unknownValue))
                continue
            }
            if let problem = definition.check(value) { errors.append(FieldError("fields.\(key)", problem.0, problem.1)) }
        }
        if requireAll {
            for definition in definitions where definition.required {
                let value = values[definition.key]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                if value.isEmpty { errors.append(FieldError("fields.\(definition.key)", .required)) }
            }
        }
        return errors
    }

    /// Why a value does not fit this field, or nil.
    public func check(_ value: String) -> (FieldErrorCode, String?)? {
        if value.isOver(TicketLimits.fieldValueMaxLength) { return (.tooLong, String(TicketLimits.fieldValueMaxLength)) }
        switch kind {
        case .text, .multiline: return nil
        case .choice: return optionValues.contains(value) ? nil : (.unknownValue, optionValues.joined(separator: ", "))
        case .phone: return PhoneNumber.normalize(value) == nil ? (.invalid, nil) : nil
        case .url:
            let candidate = value.contains("://") ? value : "https://" + value
            guard let url = URL(string: candidate), let host = url.host, host.contains(".") else { return (.invalid, nil) }
            return nil
        case .number: return Double(value.replacingOccurrences(of: ",", with: ".")) == nil ? (.invalid, nil) : nil
        case .boolean: return ["true", "false"].contains(value) ? nil : (.invalid, nil)
        }
    }

    /// Seed 002's kinds of problem, the first four critical (matched by `CriticalRule.seed002`'s categories).
    public static let category = IntakeFieldDefinition(
        key: "category", kind: .choice, labelRu: "Что случилось", labelEn: "What happened",
        options: ["database_down|Не могу работать в базе (зависает, закрывается)|Cannot work in the database (hangs, crashes)",
                  "cannot_connect|Не могу подключиться к базе или к удалённому рабочему столу|Cannot connect to the database or the remote desktop",
                  "report_not_sent|Не отправляется отчёт|A report will not send",
                  "cash_shift|Не открывается кассовая смена|The cash shift will not open",
                  "question|Вопрос по работе программы|A question about the program",
                  "other|Другое|Something else"])

    /// The questions of the seeds (000, 002, 004), shipped as the default form; admins edit them.
    public static let seedDefaults: [IntakeFieldDefinition] = [
        .init(key: "product_version", kind: .text, labelRu: "Версия программы", labelEn: "Product version"),
        .init(key: "recurrence", kind: .choice, labelRu: "Ошибка возникла один раз или повторяется", labelEn: "Happened once or happens always",
              options: ["once", "always"]),
        .init(key: "error_report", kind: .text, labelRu: "Номер отчёта об ошибке", labelEn: "Error report number"),
        .init(key: "suspected_cause", kind: .multiline, labelRu: "Ваше предположение о причине", labelEn: "Your guess at the cause"),
        .init(key: "contract_or_login", kind: .text, labelRu: "Номер договора или логин", labelEn: "Contract number or login"),
        .init(key: "phone", kind: .phone, labelRu: "Телефон", labelEn: "Phone"),
        .init(key: "call_time", kind: .text, labelRu: "Когда удобно позвонить (по МСК)", labelEn: "Best time to call (Moscow time)"),
        .init(key: "database_name", kind: .text, labelRu: "Название базы", labelEn: "Database name"),
        .init(key: "position", kind: .text, labelRu: "Должность", labelEn: "Position"),
        .init(key: "city", kind: .text, labelRu: "Город", labelEn: "City"),
        .init(key: "site_address", kind: .url, labelRu: "Адрес сайта", labelEn: "Site address"),
        .init(key: "steps", kind: .multiline, labelRu: "Шаги для воспроизведения", labelEn: "Steps to reproduce"),
        .init(key: "expected_result", kind: .multiline, labelRu: "Ожидаемый результат", labelEn: "Expected result"),
    ]
}

/// Russian phone numbers in any common spelling, normalised to E.164 ("+79139199099").
public enum PhoneNumber {
    public static func normalize(_ input: String) -> String? {
        let trimmed = input.trimmingCharacters(in: .whitespaces)
        guard trimmed.allSatisfy({ $0.isNumber || " +-()./".contains($0) }) else { return nil }
        var digits = trimmed.filter(\.isASCII).filter(\.isNumber)
        if digits.count == 11, digits.first == "8" { digits = "7" + digits.dropFirst() }
        if digits.count == 10, trimmed.first != "+" { digits = "7" + digits }
        guard (10...15).contains(digits.count) else { return nil }
        return "+" + digits
    }
}
