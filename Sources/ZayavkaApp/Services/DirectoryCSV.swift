import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// CSV import and export of organizations and contacts (SPEC A2). Files are UTF-8 (with a BOM,
/// `;`-separated, so Excel opens them) on the way out; on the way in, UTF-8 or windows-1251 with
/// `;`, `,` or tab.
enum DirectoryCSV {
    static let maxBytes = 50 * 1024 * 1024

    private static func lines(_ text: String?, separator: String = ", ") -> String { (text ?? "").split(separator: "\n").joined(separator: separator) }

    // MARK: Export

    /// A row read page by page: the page after it starts past its id.
    private protocol PagedRow: Decodable {
        var id: Int { get }
    }

    private struct OrganizationExportRow: PagedRow {
        let id: Int
        let name: String
        let inn: String?
        let contract_number: String?
        let logins: String?
        let plan: String
        let contract_ends_on: String?
        let quota: Int?
        let usage: Int?
        let phones: String?
        let email_domains: String?
        let addresses: String?
        let notes: String?
    }

    private struct ContactExportRow: PagedRow {
        let id: Int
        let email: String
        let name: String
        let phone: String?
        let locale: String
        let inn: String?
        let organization_name: String?
    }

    /// Reads a table in id order, 2000 rows a query (a keyset page, so the last page costs what the
    /// first does), turning each row into CSV cells.
    private static func pagedCells<Row: PagedRow>(_ sql: any SQLDatabase, _: Row.Type, _ page: (Int) -> SQLQueryString,
                                                  _ cells: (Row) -> [String]) async throws -> [[String]] {
        var rows: [[String]] = []
        var after = 0
        while true {
            let batch = try await sql.raw(page(after)).all(decoding: Row.self)
            guard let last = batch.last else { return rows }
            for row in batch { rows.append(cells(row)) }
            after = last.id
        }
    }

    static func exportOrganizations(context: ServiceContext) async throws -> Download {
        try context.require(.readDirectory)
        let rows = try await pagedCells(context.sql, OrganizationExportRow.self, { after in """
            SELECT id, name, inn, contract_number, logins, plan, contract_ends_on, quota, usage, phones, email_domains, addresses, notes
            FROM organizations WHERE id > \(bind: after) ORDER BY id LIMIT 2000
            """ }) { row in
            [
                row.name, row.inn ?? "", row.contract_number ?? "", lines(row.logins), row.plan, row.contract_ends_on ?? "",
                row.quota.map(String.init) ?? "", row.usage.map(String.init) ?? "",
                lines(row.phones), lines(row.email_domains), lines(row.addresses, separator: "; "), row.notes ?? "",
            ]
        }
        return .csv(CSV.write(header: CSVColumns.organizations.columns.map(\.key), rows: rows), filename: "organizations.csv")
    }

    static func exportContacts(context: ServiceContext) async throws -> Download {
        try context.require(.readDirectory)
        let rows = try await pagedCells(context.sql, ContactExportRow.self, { after in """
            SELECT u.id, u.email, u.name, u.phone, u.locale, o.inn, o.name AS organization_name
            FROM users u LEFT JOIN organizations o ON o.id = u.organization_id
            WHERE u.role = 'customer' AND u.id > \(bind: after) ORDER BY u.id LIMIT 2000
            """ }) { row in
            [row.email, row.name, row.phone ?? "", row.inn ?? "", row.organization_name ?? "", row.locale]
        }
        return .csv(CSV.write(header: CSVColumns.contacts.columns.map(\.key), rows: rows), filename: "contacts.csv")
    }

    // MARK: Import

    private static func parse(_ data: Data, columns: CSVColumns, required: [String]) throws -> (rows: [CSV.Row], positions: [String: Int], unknown: [String]) {
        let rows: [CSV.Row]
        do { rows = try CSV.parse(CSV.text(of: data)) } catch .empty {
            throw ZayavkaError.validation([FieldError("file", .required)])
        } catch .unterminatedQuote(let line) {
            throw ZayavkaError.validation([FieldError("file", .invalid, String(line))])
        }
        let (positions, unknown) = columns.map(header: rows[0].fields)
        let missing = required.filter { positions[$0] == nil }
        if !missing.isEmpty { throw ZayavkaError.validation(missing.map { FieldError($0, .required) }) }
        return (Array(rows.dropFirst()), positions, unknown)
    }

    private static func cell(_ row: CSV.Row, _ positions: [String: Int], _ key: String) -> String? {
        guard let index = positions[key] else { return nil }
        return index < row.fields.count ? row.fields[index].trimmingCharacters(in: .whitespacesAndNewlines) : ""
    }

    private static func report(_ errors: [FieldError], line: Int, _ localizer: Localizer) -> RejectedRowDTO {
        RejectedRowDTO(line: line, errors: errors.map { ImportFieldErrorDTO(field: $0.field, code: $0.code.rawValue, message: localizer.fieldMessage($0)) })
    }

    private static func chunks<T>(_ rows: [T], of size: Int = 1000) -> [[T]] {
        stride(from: 0, to: rows.count, by: size).map { Array(rows[$0..<min($0 + size, rows.count)]) }
    }

    /// A cell's value as its column's type binds it.
    private static func bound(_ key: String, _ value: String?) -> SQLQueryString {
        ["quota", "usage", "organization_id"].contains(key) ? "\(bind: value.flatMap { Int($0) })" : "\(bind: value)"
    }

    private struct OrganizationRow: Sendable {
        var existingID: Int?
        var values: [String: String?]
    }

    /// An existing organization, as the import matches rows to it.
    private struct OrganizationKeyRow: Decodable {
        let id: Int
        let name: String
        let inn: String?
        let contract_number: String?
    }

    private struct OrganizationNameRow: Decodable {
        let id: Int
        let name: String
        let inn: String?
    }

    private struct UserKeyRow: Decodable {
        let id: Int
        let email: String
        let role: String
    }

    private struct EmailRow: Decodable { let email: String }

    private struct IDRow: Decodable { let id: Int }

    /// Rows are matched to existing organizations by INN, then contract number, then name; a match
    /// is updated in the columns the file has, the rest are created.
    static func importOrganizations(_ data: Data, context: ServiceContext) async throws -> ImportReportDTO {
        try context.require(.manageOrganizations)
        let (rows, positions, unknown) = try parse(data, columns: .organizations, required: ["name"])
        let sql = context.sql
        var byINN: [String: Int] = [:], byContract: [String: Int] = [:], byName: [String: Int] = [:]
        for row in try await sql.raw("SELECT id, name, inn, contract_number FROM organizations").all(decoding: OrganizationKeyRow.self) {
            if let inn = row.inn { byINN[inn] = row.id }
            if let contract = row.contract_number { byContract[DirectorySearch.compact(contract)] = row.id }
            byName[DirectorySearch.fold(row.name)] = row.id
        }
        let localizer = Localizer(context.language)
        var rejected: [RejectedRowDTO] = []
        var accepted: [OrganizationRow] = []
        var pendingKeys: [String: Int] = [:]  // identity of rows new in this file → index in `accepted`
        for row in rows {
            var errors: [FieldError] = []
            var values: [String: String?] = [:]
            func take(_ key: String) -> String? { cell(row, positions, key) }
            let name = take("name") ?? ""
            if name.isEmpty { errors.append(FieldError("name", .required)) } else if name.isOver(300) { errors.append(FieldError("name", .tooLong, "300")) }
            values["name"] = name
            if let inn = take("inn") {
                if !inn.isEmpty, INN.normalize(inn) == nil { errors.append(FieldError("inn", .invalid, "10/12")) }
                values["inn"] = inn.nilIfEmpty
            }
            if let contract = take("contract_number") { values["contract_number"] = contract.nilIfEmpty }
            if let logins = take("logins") { values["logins"] = CSVColumns.list(logins).joined(separator: "\n").nilIfEmpty }
            if let plan = take("plan") {
                switch plan.lowercased() {
                case "paid", "платный": values["plan"] = "paid"
                case "free", "бесплатный", "": values["plan"] = "free"
                default: errors.append(FieldError("plan", .unknownValue, "paid, free"))
                }
            }
            if let ends = take("contract_ends_on") {
                if ends.isEmpty { values["contract_ends_on"] = .some(nil) } else if let iso = CSVColumns.isoDate(ends) { values["contract_ends_on"] = iso } else {
                    errors.append(FieldError("contract_ends_on", .invalid))
                }
            }
            for key in ["quota", "usage"] {
                guard let raw = take(key) else { continue }
                if raw.isEmpty { values[key] = .some(nil) } else if let n = Int(raw.filter { !$0.isWhitespace }), n >= 0 { values[key] = String(n) } else {
                    errors.append(FieldError(key, .invalid))
                }
            }
            if let phones = take("phones") {
                var normalized: [String] = []
                for phone in CSVColumns.list(phones) {
                    if let number = PhoneNumber.normalize(phone) { normalized.append(number) } else { errors.append(FieldError("phones", .invalid, phone)) }
                }
                values["phones"] = normalized.joined(separator: "\n").nilIfEmpty
            }
            if let domains = take("email_domains") { values["email_domains"] = CSVColumns.list(domains).map { $0.lowercased() }.joined(separator: "\n").nilIfEmpty }
            if let addresses = take("addresses") {
                let (stored, error) = OrganizationAddresses.clean(CSVColumns.lines(addresses))
                if let error { errors.append(error) }
                values["addresses"] = stored
            }
            if let notes = take("notes") {
                if notes.isOver(10_000) { errors.append(FieldError("notes", .tooLong, "10000")) }
                values["notes"] = notes.nilIfEmpty
            }
            if !errors.isEmpty {
                rejected.append(report(errors, line: row.line, localizer))
                continue
            }
            let inn = (values["inn"] ?? nil)
            let contract = (values["contract_number"] ?? nil).map(DirectorySearch.compact)
            let folded = DirectorySearch.fold(name)
            let existing = inn.flatMap { byINN[$0] } ?? contract.flatMap { byContract[$0] } ?? byName[folded]
            // The same organization twice in one file: the later row wins.
            let identity = inn.map { "inn:" + $0 } ?? contract.map { "contract:" + $0 } ?? "name:" + folded
            if existing == nil, let index = pendingKeys[identity] {
                accepted[index].values.merge(values) { _, new in new }
                continue
            }
            if existing == nil { pendingKeys[identity] = accepted.count }
            accepted.append(OrganizationRow(existingID: existing, values: values))
        }

        // A thousand rows a transaction: other writers are not held up for the whole file, and what
        // is committed stays even when a later part fails.
        var totalCreated = 0, totalUpdated = 0
        for work in chunks(accepted) {
            let (created, updated) = try await context.write { db in
                let sql = db as! any SQLDatabase
                var touched: [Int] = []
                var created = 0, updated = 0
                let now = context.now
                for row in work {
                    if let id = row.existingID {
                        guard !row.values.isEmpty else { continue }
                        let sets = row.values.sorted { $0.key < $1.key }.map { ("\(ident: $0.key) = " as SQLQueryString) + bound($0.key, $0.value) }
                        try await sql.raw("UPDATE organizations SET " + sets.joined(separator: ", ") + ", updated_at = \(bind: now) WHERE id = \(bind: id)").run()
                        touched.append(id)
                        updated += 1
                    } else {
                        var values = row.values
                        values["plan"] = values["plan"] ?? "free"
                        let keys = values.keys.sorted()
                        let inserted = try await sql.raw("""
                            INSERT INTO organizations (
                            """ + keys.map { "\(ident: $0)" as SQLQueryString }.joined(separator: ", ") + """
                            , members_see_all_tickets, created_at, updated_at) VALUES (
                            """ + keys.map { bound($0, values[$0]!) }.joined(separator: ", ") + """
                            , \(bind: false), \(bind: now), \(bind: now)) RETURNING id
                            """).first(decoding: IDRow.self)!
                        touched.append(inserted.id)
                        created += 1
                    }
                }
                try await DirectoryIndex.refresh(organizations: touched, on: sql)
                return (created, updated)
            }
            totalCreated += created
            totalUpdated += updated
        }
        if totalUpdated > 0 { context.services.tokens.forgetAll() }
        context.services.emailDomainsListed.invalidate()
        await refreshStatistics(context, rows: totalCreated)
        return ImportReportDTO(created: totalCreated, updated: totalUpdated, rejected: rejected, unknownColumns: unknown)
    }

    /// Contacts are matched by email. The organization is named by INN or by name; one that does
    /// not exist rejects the row rather than inventing an organization.
    static func importContacts(_ data: Data, context: ServiceContext) async throws -> ImportReportDTO {
        try context.require(.manageUsers)
        let (rows, positions, unknown) = try parse(data, columns: .contacts, required: ["email"])
        let sql = context.sql
        var orgByINN: [String: Int] = [:], orgByName: [String: Int] = [:]
        if positions["organization_inn"] != nil || positions["organization"] != nil {
            for row in try await sql.raw("SELECT id, name, inn FROM organizations").all(decoding: OrganizationNameRow.self) {
                if let inn = row.inn { orgByINN[inn] = row.id }
                orgByName[DirectorySearch.fold(row.name)] = row.id
            }
        }
        let localizer = Localizer(context.language)
        var rejected: [RejectedRowDTO] = []
        struct ContactRow: Sendable { var line: Int; var email: String; var values: [String: String?]; var organizationID: Int?? }
        var accepted: [String: ContactRow] = [:]
        var order: [String] = []
        for row in rows {
            var errors: [FieldError] = []
            func take(_ key: String) -> String? { cell(row, positions, key) }
            let email = (take("email") ?? "").lowercased()
            if email.isEmpty { errors.append(FieldError("email", .required)) } else if !UserService.isPlausibleEmail(email) { errors.append(FieldError("email", .invalid)) }
            var values: [String: String?] = [:]
            if let name = take("name"), !name.isEmpty {
                if name.isOver(200) { errors.append(FieldError("name", .tooLong, "200")) }
                values["name"] = name
            }
            if let phone = take("phone") {
                if phone.isEmpty { values["phone"] = .some(nil) } else if let number = PhoneNumber.normalize(phone) { values["phone"] = number } else {
                    errors.append(FieldError("phone", .invalid))
                }
            }
            if let locale = take("locale"), !locale.isEmpty {
                if let language = Language(rawValue: locale.lowercased()) { values["locale"] = language.rawValue } else {
                    errors.append(FieldError("locale", .unknownValue, "ru, en"))
                }
            }
            var organizationID: Int?? = nil
            let inn = take("organization_inn") ?? ""
            let orgName = take("organization") ?? ""
            if !inn.isEmpty {
                if let id = orgByINN[inn] { organizationID = .some(id) } else { errors.append(FieldError("organization_inn", .unknownValue)) }
            } else if !orgName.isEmpty {
                if let id = orgByName[DirectorySearch.fold(orgName)] { organizationID = .some(id) } else { errors.append(FieldError("organization", .unknownValue)) }
            }
            if !errors.isEmpty {
                rejected.append(report(errors, line: row.line, localizer))
                continue
            }
            if accepted[email] == nil { order.append(email) }
            var merged = accepted[email] ?? ContactRow(line: row.line, email: email, values: [:], organizationID: nil)
            merged.values.merge(values) { _, new in new }
            if organizationID != nil { merged.organizationID = organizationID }
            accepted[email] = merged
        }
        // Staff accounts are not contacts: a row naming one is refused.
        var staff = Set<String>()
        for chunk in stride(from: 0, to: order.count, by: 500).map({ Array(order[$0..<min($0 + 500, order.count)]) }) {
            for row in try await sql.raw("SELECT email FROM users WHERE role <> 'customer' AND email IN (\(binds: chunk))").all(decoding: EmailRow.self) {
                staff.insert(row.email)
            }
        }
        for email in order where staff.contains(email) {
            rejected.append(report([FieldError("email", .notAllowed)], line: accepted[email]!.line, localizer))
        }
        rejected.sort { $0.line < $1.line }
        let language = context.services.configuration.defaultLanguage.rawValue
        var totalCreated = 0, totalUpdated = 0
        for work in chunks(order.filter { !staff.contains($0) }.map { accepted[$0]! }) {
            let (created, updated, touched) = try await context.write { db in
                let sql = db as! any SQLDatabase
                var existing: [String: (id: Int, role: String)] = [:]
                for chunk in stride(from: 0, to: work.count, by: 500).map({ work[$0..<min($0 + 500, work.count)] }) {
                    for row in try await sql.raw("SELECT id, email, role FROM users WHERE email IN (\(binds: chunk.map(\.email)))").all(decoding: UserKeyRow.self) {
                        existing[row.email] = (row.id, row.role)
                    }
                }
                var created = 0, updated = 0
                var touched: [Int] = []
                let now = context.now
                for row in work {
                    var values = row.values
                    if let organizationID = row.organizationID { values["organization_id"] = organizationID.map(String.init) }
                    if let found = existing[row.email] {
                        guard !values.isEmpty else { continue }
                        let sets = values.sorted { $0.key < $1.key }.map { ("\(ident: $0.key) = " as SQLQueryString) + bound($0.key, $0.value) }
                        try await sql.raw("UPDATE users SET " + sets.joined(separator: ", ") + ", updated_at = \(bind: now) WHERE id = \(bind: found.id)").run()
                        touched.append(found.id)
                        updated += 1
                    } else {
                        let name = (values["name"] ?? nil) ?? String(row.email.prefix { $0 != "@" })
                        let inserted = try await sql.raw("""
                            INSERT INTO users (email, name, role, locale, time_zone, phone, organization_id, is_active, created_at, updated_at)
                            VALUES (\(bind: row.email), \(bind: name), 'customer', \(bind: (values["locale"] ?? nil) ?? language), 'Europe/Moscow',
                                    \(bind: values["phone"] ?? nil), \(bind: (row.organizationID ?? nil)), \(bind: true), \(bind: now), \(bind: now))
                            RETURNING id
                            """).first(decoding: IDRow.self)!
                        touched.append(inserted.id)
                        created += 1
                    }
                }
                try await DirectoryIndex.refresh(users: touched, on: sql)
                return (created, updated, touched)
            }
            for id in touched { context.services.tokens.forget(userID: id) }
            totalCreated += created
            totalUpdated += updated
        }
        await refreshStatistics(context, rows: totalCreated)
        return ImportReportDTO(created: totalCreated, updated: totalUpdated, rejected: rejected, unknownColumns: unknown)
    }

    /// After a large import SQLite would plan with the statistics of the empty desk (a contact search
    /// scanned every user) until the hourly `PRAGMA optimize`: gather them now and reload them on
    /// every connection.
    private static func refreshStatistics(_ context: ServiceContext, rows: Int) async {
        guard rows >= 1000 else { return }
        await SQLiteStatistics.refresh(context.application, analyze: true)
    }
}
