import Foundation
import Plot
import Vapor
import ZayavkaCore

/// CSV import and export of the directory on the organizations page (SPEC A2).
enum DirectoryImport {
    struct Report: Sendable {
        let what: String
        let result: ImportReportDTO?
        let error: String?
    }

    static func panel(_ ctx: PageContext, report: Report?) -> Node<HTML.BodyContext> {
        let l = ctx.l
        func upload(_ id: String, _ action: SitePath, _ title: String, _ hint: String) -> Node<HTML.BodyContext> {
            .form(.method(.post), .action(action.path), .enctype(.multipartData), .id(id), .class("import"),
                  Layout.csrfField(ctx),
                  Layout.row(title, for: id + "-file", hint: hint,
                             .input(.type(.file), .name("file"), .id(id + "-file"), .attr("accept", ".csv,text/csv,text/plain"), .required(true))),
                  .div(.class("actions"), .button(.type(.submit), .id(id + "-send"), .t(l("Загрузить", "Upload")))))
        }
        let reportNode: Node<HTML.BodyContext> = .unwrap(report) { report in
            .div(.class("import-report"), .id("import-report"),
                 .h3(.t(report.what)),
                 .unwrap(report.error) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
                 .unwrap(report.result) { result in
                     .group(
                        .p(.id("import-counts"), .t(l("Создано: \(result.created), обновлено: \(result.updated), отклонено строк: \(result.rejected.count).",
                                                      "Created: \(result.created), updated: \(result.updated), rows rejected: \(result.rejected.count)."))),
                        .if(!result.unknownColumns.isEmpty, .p(.class("muted"), .t(l("Неизвестные столбцы пропущены: ", "Unknown columns skipped: ")
                                                                                    + result.unknownColumns.joined(separator: ", ")))),
                        .if(!result.rejected.isEmpty, DirectoryPages.table("import-rejected", [l("Строка", "Line"), l("Почему", "Why")],
                                                                            result.rejected.map { row in
                            [.t(String(row.line)), .t(row.errors.map { $0.field + ": " + $0.message }.joined(separator: "; "))]
                        }))
                     )
                 })
        }
        return .div(
            .class("card"), .id("directory-csv"),
            .h2(.t(l("Импорт и выгрузка (CSV)", "Import and export (CSV)"))),
            .p(.class("muted"), .t(l("Файл в UTF-8 или windows-1251, разделитель «;», «,» или табуляция. Заголовки — по-русски или по-английски. Строки с ошибками не сохраняются и перечислены в отчёте; остальные сохраняются. Организация узнаётся по ИНН, затем по номеру договора, затем по названию; контакт — по почте.",
                                     "UTF-8 or windows-1251, separated by “;”, “,” or tab, headings in Russian or English. Rows with errors are not saved and are listed in the report; the rest are. An organization is matched by INN, then contract number, then name; a contact by email."))),
            reportNode,
            upload("import-organizations", .adminOrganizationImport, l("Организации", "Organizations"),
                   l("Столбцы: Название, ИНН, Номер договора, Логины, Тариф, Договор до, Квота, Использовано, Телефоны, Почтовые домены, Адреса (через «;»), Заметки",
                     "Columns: name, inn, contract_number, logins, plan, contract_ends_on, quota, usage, phones, email_domains, addresses (separated by “;”), notes")),
            upload("import-contacts", .adminContactImport, l("Контакты", "Contacts"),
                   l("Столбцы: Email, Имя, Телефон, ИНН организации, Организация, Язык", "Columns: email, name, phone, organization_inn, organization, locale")),
            .p(.a(.href(SitePath.adminOrganizationExport.path), .id("export-organizations"), .t(l("Выгрузить организации", "Export organizations"))),
               .t(" · "),
               .a(.href(SitePath.adminContactExport.path), .id("export-contacts"), .t(l("Выгрузить контакты", "Export contacts"))))
        )
    }

    static func importOrganizations(_ request: Request) async throws -> Response {
        try await run(request, what: PageContext(request).l("Импорт организаций", "Organizations import"), DirectoryCSV.importOrganizations)
    }

    static func importContacts(_ request: Request) async throws -> Response {
        try await run(request, what: PageContext(request).l("Импорт контактов", "Contacts import"), DirectoryCSV.importContacts)
    }

    private static func run(_ request: Request, what: String,
                            _ work: (Data, ServiceContext) async throws -> ImportReportDTO) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageOrganizations)
        let form = try await WebForms.read(request)
        defer { form.discardFiles() }
        let l = PageContext(request).l
        guard let file = form.files.first, let data = FileManager.default.contents(atPath: file.writer.path) else {
            return try await DirectoryPages.organizations(request, status: .unprocessableEntity,
                                                          report: Report(what: what, result: nil, error: l("Выберите файл.", "Choose a file.")))
        }
        do {
            let result = try await work(data, try request.context)
            return try await DirectoryPages.organizations(request, report: Report(what: what, result: result, error: nil))
        } catch let error as ZayavkaError {
            let message: String
            if case .validation(let problems) = error, let first = problems.first {
                switch (first.field, first.code) {
                case ("file", .required): message = l("Файл пуст.", "The file is empty.")
                case ("file", .invalid): message = l("Кавычка не закрыта (строка \(first.argument ?? "?")).", "A quote is not closed (line \(first.argument ?? "?")).")
                default: message = l("Нет обязательных столбцов: ", "Required columns are missing: ") + problems.map(\.field).joined(separator: ", ")
                }
            } else {
                message = l.localizer.message(for: error)
            }
            return try await DirectoryPages.organizations(request, status: .unprocessableEntity, report: Report(what: what, result: nil, error: message))
        }
    }
}
