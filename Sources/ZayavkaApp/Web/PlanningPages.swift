import Foundation
import Plot
import SQLKit
import Vapor
import ZayavkaCore

/// The workload calendar (SPEC S4): a week per specialist — one person, a group, or all staff —
/// with planned work, dated tasks and the days that are not worked.
enum WorkloadPages {
    static func show(_ request: Request) async throws -> Response {
        _ = try QueueController.requireStaff(request)
        let ctx = PageContext(request)
        let l = ctx.l
        var query = PlanningQuery(request: request)
        let user = query.int("user_id"), group = query.int("group_id")
        let weekText = request.query[String.self, at: "week"]
        let day = weekText.flatMap { LocalDate($0) }.flatMap { (1900...9999).contains($0.year) ? $0 : nil }
        let anchor = day.map { moscowNoon($0) } ?? Date()
        let (from, to) = WorkloadService.week(of: anchor)
        try query.check()
        let workload = try await WorkloadService.workload(userID: user, groupID: group, from: from, to: to, context: try request.context)
        let staff = try await QueueController.staffOptions(request: request)
        let groups = try await QueueController.groupOptions(request: request)
        let days = (0..<7).map { from.addingTimeInterval(Double($0) * 86400 + 3600) }.map { LocalDate(containing: $0, in: .moscow) }
        func weekLink(_ offset: Int) -> String {
            var items = ["week=" + days[0].adding(days: offset * 7).description]
            if let user { items.append("user_id=\(user)") }
            if let group { items.append("group_id=\(group)") }
            return SitePath.workload.path + "?" + items.joined(separator: "&")
        }
        let title = l("Загрузка специалистов", "Workload")
        return Layout.render(title, ctx, .group(
            .h1(.t(title)),
            .form(.class("filters card"), .method(.get), .action(SitePath.workload.path), .id("workload-filter"),
                  .input(.type(.hidden), .name("week"), .attr("value", days[0].description)),
                  .select(.attr("name", "user_id"), .id("workload-user"), .attr("aria-label", l("Специалист", "Specialist")),
                          .opt("", l("Все специалисты", "All specialists")),
                          .forEach(staff) { .opt($0.value, $0.label, selected: $0.value == user.map(String.init)) }),
                  .select(.attr("name", "group_id"), .id("workload-group"), .attr("aria-label", l("Группа", "Group")),
                          .opt("", l("Любая группа", "Any group")),
                          .forEach(groups) { .opt($0.value, $0.label, selected: $0.value == group.map(String.init)) }),
                  .button(.type(.submit), .t(l("Показать", "Show")))),
            .p(.a(.href(weekLink(-1)), .id("week-prev"), .t("← " + l("Предыдущая неделя", "Previous week"))), .t(" · "),
               .strong(.id("week-range"), .t(shortDate(days[0], l) + " — " + shortDate(days[6], l))), .t(" · "),
               .a(.href(weekLink(1)), .id("week-next"), .t(l("Следующая неделя", "Next week") + " →"))),
            workload.people.isEmpty ? .p(.class("muted"), .t(l("Никого нет.", "Nobody here."))) : .group(),
            .forEach(workload.people) { person in
                let load = person.workingMinutes == 0 ? 0 : Int((Double(person.plannedMinutes) * 100 / Double(person.workingMinutes)).rounded())
                return .div(
                    .class("card workload"), .id("workload-\(person.user.id)"),
                    .h2(.t(person.user.name)),
                    .p(.class("muted"), .t(l("Запланировано ", "Planned ") + hours(person.plannedMinutes, l) + l(" из ", " of ")
                                           + hours(person.workingMinutes, l) + l(" рабочего времени", " of working time") + " (\(load) %)")),
                    .table(.class("week"),
                           .thead(.tr(.forEach(days.indices) { index in
                               .th(.t(weekday(index, l) + " " + shortDate(days[index], l)))
                           })),
                           .tbody(.tr(.forEach(days.indices) { index in
                               let dayStart = from.addingTimeInterval(Double(index) * 86400)
                               let dayEnd = dayStart.addingTimeInterval(86400)
                               let slots = person.slots.filter { $0.startsAt < dayEnd && $0.endsAt > dayStart }
                               let tasks = person.tasks.filter { $0.dueAt >= dayStart && $0.dueAt < dayEnd }
                               return .td(
                                   .if(slots.isEmpty && tasks.isEmpty, .span(.class("muted"), .t("—"))),
                                   .forEach(slots) { slot in
                                       .div(.class("slot"),
                                            .t(time(max(slot.startsAt, dayStart), l) + "–" + time(min(slot.endsAt, dayEnd), l) + " "),
                                            .unwrap(slot.ticketNumber) { n in
                                                .a(.href(SitePath.agentTicket(n).path), .t("№\(n)" + (slot.subject.map { " " + $0 } ?? "")))
                                            })
                                   },
                                   .forEach(tasks) { task in
                                       .div(.class("task"), .t(l("Задача до ", "Task due ") + time(task.dueAt, l) + " "),
                                            .a(.href(SitePath.agentTicket(task.number).path), .t("№\(task.number) " + task.subject)))
                                   })
                           })))
                )
            }
        ))
    }

    static func moscowNoon(_ day: LocalDate) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .moscow
        return calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day, hour: 12)) ?? Date()
    }

    static func shortDate(_ day: LocalDate, _ l: L) -> String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(two(day.day)).\(two(day.month))"
    }

    static func weekday(_ index: Int, _ l: L) -> String {
        (l.language == .ru ? ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"] : ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])[index]
    }

    static func time(_ date: Date, _ l: L) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .moscow
        let c = calendar.dateComponents([.hour, .minute], from: date)
        return String(format: "%02d:%02d", c.hour ?? 0, c.minute ?? 0)
    }

    static func hours(_ minutes: Int, _ l: L) -> String {
        let h = minutes / 60, m = minutes % 60
        return m == 0 ? l("\(h) ч", "\(h) h") : l("\(h) ч \(m) мин", "\(h) h \(m) min")
    }
}

/// Admins' working-time settings (SPEC S1–S3): calendars with their hours and special days, and
/// the SLA policies with their order, conditions, targets, calendar and escalation.
enum WorkingTimePages {
    struct Model {
        let calendars: [CalendarDTO]
        let days: [String: String]
        let policies: [SLAPolicyDTO]
        let groups: [QueueModel.Option]
        let staff: [QueueModel.Option]
        var errors: [String: String] = [:]
    }

    static func model(_ request: Request) async throws -> Model {
        let calendars = try await WorkingTimeService.listCalendars(context: try request.context).items
        var days: [String: String] = [:]
        for stored in try await CalendarStore.load(where: "1 = 1", on: request.sql) {
            days[stored.key] = ProductionCalendarDays(holidays: stored.calendar.holidays, workdays: stored.calendar.transferredWorkdays,
                                                      shortDays: stored.calendar.shortDays).export()
        }
        return Model(calendars: calendars, days: days, policies: try await WorkingTimeService.listPolicies(context: try request.context).items,
                     groups: try await QueueController.groupOptions(request: request), staff: try await QueueController.staffOptions(request: request))
    }

    static func show(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let ctx = PageContext(request)
        return Layout.render(ctx.l("Рабочее время и SLA", "Working time and SLA"), ctx, render(try await model(request), ctx))
    }

    private static func failed(_ request: Request, key: String, _ problems: [FieldError]) async throws -> Response {
        let ctx = PageContext(request)
        var model = try await model(request)
        model.errors[key] = problems.map { $0.field + ": " + ctx.l.localizer.fieldMessage($0) }.joined(separator: "; ")
        return Layout.render(ctx.l("Рабочее время и SLA", "Working time and SLA"), ctx, status: .unprocessableEntity, render(model, ctx))
    }

    static func saveCalendar(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let form = try await WebForms.read(request)
        let key = form.text("key") ?? ""
        let weekly = (0..<7).map { day in
            (form.value("day\(day)") ?? "").split(whereSeparator: { $0 == "," || $0 == ";" }).map { $0.trimmed }.filter { !$0.isEmpty }
        }
        let transferred = (form.value("transferred") ?? "").split(separator: ",").map { $0.trimmed }.filter { !$0.isEmpty }
        let input = CalendarInput(key: key, name: form.text("name"), timeZone: form.text("time_zone"), weekly: weekly,
                                  transferredDayHours: transferred.isEmpty ? nil : transferred,
                                  shorteningMinutes: form.text("shortening").flatMap(Int.init), productionCalendar: nil)
        do {
            if form.text("new") != nil {
                _ = try await WorkingTimeService.createCalendar(input, context: try request.context)
            } else {
                _ = try await WorkingTimeService.updateCalendar(key: key, input, context: try request.context)
            }
            return request.redirect(to: SitePath.adminWorkingTime.path + "?notice=saved#calendar-" + key)
        } catch ZayavkaError.validation(let problems) {
            return try await failed(request, key: "calendar-" + (form.text("new") != nil ? "new" : key), problems)
        } catch ZayavkaError.conflict(let field, let value) {
            return try await failed(request, key: "calendar-new", [FieldError(field, .unknownValue, value)])
        }
    }

    static func saveDays(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let form = try await WebForms.read(request)
        let key = form.text("key") ?? ""
        do {
            _ = try await WorkingTimeService.replaceDays(key: key, text: form.value("days") ?? "", context: try request.context)
            return request.redirect(to: SitePath.adminWorkingTime.path + "?notice=saved#calendar-" + key)
        } catch ZayavkaError.validation(let problems) {
            return try await failed(request, key: "days-" + key, problems)
        }
    }

    static func savePolicy(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let form = try await WebForms.read(request)
        let isNew = form.text("new") != nil
        let key = form.text("key") ?? ""
        func set<T: RawRepresentable & Hashable>(_ name: String, _: T.Type) -> Set<T>? where T.RawValue == String {
            let values = Set(form.values(name).compactMap(T.init(rawValue:)))
            return values.isEmpty ? nil : values
        }
        let groups = Set(form.values("group_ids").compactMap(Int.init))
        let conditions = SLAConditions(types: set("types", TicketType.self), priorities: set("priorities", TicketPriority.self),
                                       plans: set("plans", CustomerPlan.self), channels: set("channels", TicketChannel.self),
                                       groupIDs: groups.isEmpty ? nil : groups)
        let targets = SLATargetsDTO(firstResponse: form.text("first_response").flatMap(Int.init), nextResponse: form.text("next_response").flatMap(Int.init),
                                    resolution: form.text("resolution").flatMap(Int.init))
        let escalation = SLAEscalation(notify: Set(form.values("notify").compactMap(SLANotify.init(rawValue:))),
                                       raisePriority: form.text("raise_priority") != nil,
                                       reassignGroupID: form.text("reassign_group_id").flatMap(Int.init),
                                       reassignUserID: form.text("reassign_user_id").flatMap(Int.init))
        let input = SLAPolicyInput(key: isNew ? key : nil, name: form.text("name"), position: form.text("position").flatMap(Int.init),
                                   conditions: conditions, targets: targets, warnAtPercent: form.text("warn_at_percent").flatMap(Int.init),
                                   calendar: form.text("calendar"), active: form.text("active") != nil, escalation: escalation)
        do {
            _ = try await WorkingTimeService.savePolicy(key: isNew ? nil : key, input, context: try request.context)
            return request.redirect(to: SitePath.adminWorkingTime.path + "?notice=saved#policy-" + key)
        } catch ZayavkaError.validation(let problems) {
            return try await failed(request, key: "policy-" + (isNew ? "new" : key), problems)
        } catch ZayavkaError.conflict(let field, let value) {
            return try await failed(request, key: "policy-new", [FieldError(field, .unknownValue, value)])
        }
    }

    static func installTemplate(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageConfiguration)
        let form = try await WebForms.read(request)
        _ = try await WorkingTimeService.installTemplate(form.text("template") ?? "", context: try request.context)
        return request.redirect(to: SitePath.adminWorkingTime.path + "?notice=saved#policies")
    }

    // MARK: View

    static func render(_ model: Model, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .group(
            .h1(.t(l("Рабочее время и SLA", "Working time and SLA"))),
            .p(.class("muted"), .t(l("Заявки принимаются круглосуточно; сроки SLA считаются только в рабочее время календаря.",
                                     "Requests are taken around the clock; SLA clocks run in the calendar's working time only."))),
            .h2(.id("calendars"), .t(l("Календари", "Calendars"))),
            .forEach(model.calendars) { calendarForm($0, days: model.days[$0.key] ?? "", model, ctx) },
            newCalendarForm(model, ctx),
            .h2(.id("policies"), .t(l("Политики SLA", "SLA policies"))),
            .p(.class("muted"), .t(l("Политики проверяются по порядку; применяется первая подходящая. Цели — в рабочих минутах.",
                                     "Policies are checked in order; the first that matches applies. Targets are in working minutes."))),
            .form(.class("card"), .method(.post), .action(SitePath.adminPolicyTemplate.path), .id("policy-templates"), Layout.csrfField(ctx),
                  .t(l("Готовые шаблоны из регламентов: ", "Ready-made from the regulations: ")),
                  .button(.type(.submit), .name("template"), .value("seed002"), .id("template-seed002"), .t(l("реакция 30 минут (002)", "reaction in 30 min (002)"))),
                  .button(.type(.submit), .name("template"), .value("seed000"), .id("template-seed000"), .t(l("ответ за 2 рабочих часа (000)", "answer in 2 working hours (000)"))),
                  .button(.type(.submit), .name("template"), .value("seed003"), .id("template-seed003"), .t(l("по типам обращений (003)", "by request type (003)")))),
            .forEach(model.policies) { policyForm($0, model, ctx) },
            policyForm(nil, model, ctx)
        )
    }

    static func calendarForm(_ c: CalendarDTO, days: String, _ model: Model, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .div(
            .class("card"), .id("calendar-" + c.key),
            .form(.method(.post), .action(SitePath.adminCalendarSave.path), Layout.csrfField(ctx),
                  .h3(.t(c.name + (c.isDefault ? l(" (по умолчанию)", " (default)") : ""))),
                  .input(.type(.hidden), .name("key"), .attr("value", c.key)),
                  .unwrap(model.errors["calendar-" + c.key]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
                  Layout.row(l("Название", "Name"), for: "cal-name-" + c.key, error: nil,
                             .input(.type(.text), .name("name"), .id("cal-name-" + c.key), .attr("value", c.name))),
                  Layout.row(l("Часовой пояс", "Time zone"), for: "cal-tz-" + c.key, error: nil,
                             .input(.type(.text), .name("time_zone"), .id("cal-tz-" + c.key), .attr("value", c.timeZone))),
                  .forEach(0..<7) { day in
                      Layout.row(WorkloadPages.weekday(day, l), for: "cal-\(c.key)-day\(day)", hint: day == 0 ? l("Интервалы через запятую: 09:00-13:00, 14:00-18:00", "Intervals, comma-separated: 09:00-13:00, 14:00-18:00") : nil, error: nil,
                                 .input(.type(.text), .name("day\(day)"), .id("cal-\(c.key)-day\(day)"),
                                        .attr("value", (day < c.weekly.count ? c.weekly[day] : []).joined(separator: ", "))))
                  },
                  Layout.row(l("Перенесённый рабочий день (суббота)", "A transferred working day (Saturday)"), for: "cal-tr-" + c.key, error: nil,
                             .input(.type(.text), .name("transferred"), .id("cal-tr-" + c.key), .attr("value", c.transferredDayHours.joined(separator: ", ")))),
                  Layout.row(l("Сокращение предпраздничного дня, минут", "Pre-holiday shortening, minutes"), for: "cal-short-" + c.key, error: nil,
                             .input(.type(.number), .name("shortening"), .id("cal-short-" + c.key), .attr("min", "0"), .attr("max", "480"),
                                    .attr("value", String(c.shorteningMinutes)))),
                  .div(.class("actions"), .button(.type(.submit), .class("primary"), .t(l("Сохранить календарь", "Save the calendar"))))),
            .form(.method(.post), .action(SitePath.adminCalendarDays.path), Layout.csrfField(ctx), .id("days-" + c.key),
                  .input(.type(.hidden), .name("key"), .attr("value", c.key)),
                  .unwrap(model.errors["days-" + c.key]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
                  Layout.row(l("Особые дни: «ГГГГ-ММ-ДД holiday | workday | short», по одному в строке (\(c.specialDays))",
                               "Special days: “YYYY-MM-DD holiday | workday | short”, one a line (\(c.specialDays))"),
                             for: "days-text-" + c.key, error: nil,
                             .textarea(.name("days"), .id("days-text-" + c.key), .rows(6), .t(days))),
                  .div(.class("actions"),
                       .button(.type(.submit), .t(l("Заменить особые дни", "Replace the special days"))),
                       .a(.href(SitePath.adminCalendarExport(c.key).path), .id("days-download-" + c.key), .t(l("Скачать файлом", "Download as a file")))))
        )
    }

    static func newCalendarForm(_ model: Model, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        return .form(
            .class("card"), .method(.post), .action(SitePath.adminCalendarSave.path), .id("calendar-new"), Layout.csrfField(ctx),
            .h3(.t(l("Новый календарь (производственный календарь РФ загружается сразу)", "New calendar (the Russian production calendar is loaded)"))),
            .input(.type(.hidden), .name("new"), .value("1")),
            .unwrap(model.errors["calendar-new"]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
            Layout.row(l("Ключ (латиница)", "Key (latin)"), for: "cal-new-key", error: nil,
                       .input(.type(.text), .name("key"), .id("cal-new-key"), .attr("pattern", "[a-z0-9_]+"), .required(true))),
            Layout.row(l("Название", "Name"), for: "cal-new-name", error: nil, .input(.type(.text), .name("name"), .id("cal-new-name"), .required(true))),
            Layout.row(l("Часовой пояс", "Time zone"), for: "cal-new-tz", error: nil,
                       .input(.type(.text), .name("time_zone"), .id("cal-new-tz"), .attr("value", "Europe/Moscow"))),
            .forEach(0..<7) { day in
                Layout.row(WorkloadPages.weekday(day, l), for: "cal-new-day\(day)", error: nil,
                           .input(.type(.text), .name("day\(day)"), .id("cal-new-day\(day)"), .attr("value", day < 5 ? "09:00-18:00" : "")))
            },
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .t(l("Добавить календарь", "Add the calendar"))))
        )
    }

    static func policyForm(_ p: SLAPolicyDTO?, _ model: Model, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let key = p?.key ?? "new"
        let id = "policy-" + key
        func check(_ name: String, _ value: String, _ label: String, _ on: Bool) -> Node<HTML.BodyContext> {
            .element(named: "label", nodes: [.input(.type(.checkbox), .name(name), .value(value), .id("\(id)-\(name)-\(value)"), .checked(on)), .t(" " + label + " ")])
        }
        let c = p?.conditions ?? SLAConditions()
        let e = p?.escalation ?? .standard
        func minutes(_ name: String, _ label: String, _ value: Int?) -> Node<HTML.FormContext> {
            Layout.row(label, for: "\(id)-\(name)", error: nil,
                       .input(.type(.number), .name(name), .id("\(id)-\(name)"), .attr("min", "1"), .attr("value", value.map(String.init) ?? "")))
        }
        var title = l("Новая политика", "New policy")
        if let p { title = "\(p.position). " + p.name + (p.active ? "" : l(" (выключена)", " (inactive)")) }
        let identity: Node<HTML.FormContext> = p == nil ? .input(.type(.hidden), .name("new"), .value("1"))
            : .input(.type(.hidden), .name("key"), .attr("value", key))
        let keyRow: Node<HTML.FormContext> = p == nil
            ? Layout.row(l("Ключ (латиница)", "Key (latin)"), for: id + "-key", error: nil,
                         .input(.type(.text), .name("key"), .id(id + "-key"), .attr("pattern", "[a-z0-9_]+")))
            : .empty
        let typeBoxes: [Node<HTML.BodyContext>] = TicketType.allCases.map { check("types", $0.rawValue, l.localizer.name($0), c.types?.contains($0) ?? false) }
        let priorityBoxes: [Node<HTML.BodyContext>] = TicketPriority.allCases.map {
            check("priorities", $0.rawValue, l.localizer.name($0), c.priorities?.contains($0) ?? false)
        }
        let channelBoxes: [Node<HTML.BodyContext>] = TicketChannel.allCases.map {
            check("channels", $0.rawValue, l.localizer.name($0), c.channels?.contains($0) ?? false)
        }
        let groupBoxes: [Node<HTML.BodyContext>] = model.groups.map {
            check("group_ids", $0.value, $0.label, c.groupIDs?.contains(Int($0.value) ?? -1) ?? false)
        }
        let conditions: Node<HTML.FormContext> = .div(
            .class("fieldset"), .h4(.t(l("Условия (пусто — любые)", "Conditions (none ticked: any)"))),
            .p(.t(l("Тип: ", "Type: ")), .group(typeBoxes)),
            .p(.t(l("Приоритет: ", "Priority: ")), .group(priorityBoxes)),
            .p(.t(l("Тариф: ", "Plan: ")), check("plans", "paid", l("платный", "paid"), c.plans?.contains(.paid) ?? false),
               check("plans", "free", l("бесплатный", "free"), c.plans?.contains(.free) ?? false)),
            .p(.t(l("Канал: ", "Channel: ")), .group(channelBoxes)),
            .p(.t(l("Группа: ", "Group: ")), .group(groupBoxes)))
        let calendarOptions: [Node<HTML.SelectContext>] = model.calendars.map {
            .opt($0.key, $0.name, selected: $0.key == p?.calendar || (p == nil && $0.isDefault))
        }
        let targets: Node<HTML.FormContext> = .div(
            .class("fieldset"), .h4(.t(l("Цели, рабочих минут", "Targets, working minutes"))),
            minutes("first_response", l("Первый ответ", "First response"), p?.targets.firstResponse),
            minutes("next_response", l("Следующий ответ", "Next response"), p?.targets.nextResponse),
            minutes("resolution", l("Решение", "Resolution"), p?.targets.resolution),
            Layout.row(l("Предупреждать при, %", "Warn at, %"), for: id + "-warn", error: nil,
                       .input(.type(.number), .name("warn_at_percent"), .id(id + "-warn"), .attr("min", "1"), .attr("max", "99"),
                              .attr("value", String(p?.warnAtPercent ?? 80)))),
            Layout.row(l("Календарь", "Calendar"), for: id + "-calendar", error: nil,
                       .select(.attr("name", "calendar"), .id(id + "-calendar"), .group(calendarOptions))))
        let groupOptions: [Node<HTML.SelectContext>] = model.groups.map { .opt($0.value, $0.label, selected: Int($0.value) == e.reassignGroupID) }
        let staffOptions: [Node<HTML.SelectContext>] = model.staff.map { .opt($0.value, $0.label, selected: Int($0.value) == e.reassignUserID) }
        let escalation: Node<HTML.FormContext> = .div(
            .class("fieldset"), .h4(.t(l("При нарушении", "When a target is missed"))),
            .p(.t(l("Сообщить: ", "Tell: ")), check("notify", "assignee", l("исполнителю", "the assignee"), e.notify.contains(.assignee)),
               check("notify", "group", l("группе", "the group"), e.notify.contains(.group)),
               check("notify", "supervisors", l("диспетчерам и руководителям", "dispatchers and managers"), e.notify.contains(.supervisors))),
            .p(check("raise_priority", "1", l("повысить приоритет на ступень", "raise the priority one step"), e.raisePriority)),
            Layout.row(l("Передать группе", "Hand to the group"), for: id + "-rgroup", error: nil,
                       .select(.attr("name", "reassign_group_id"), .id(id + "-rgroup"), .opt("", "—"), .group(groupOptions))),
            Layout.row(l("Передать специалисту", "Hand to the person"), for: id + "-ruser", error: nil,
                       .select(.attr("name", "reassign_user_id"), .id(id + "-ruser"), .opt("", "—"), .group(staffOptions))))
        let saveLabel = p == nil ? l("Добавить политику", "Add the policy") : l("Сохранить", "Save")
        return .form(
            .class("card policy"), .method(.post), .action(SitePath.adminPolicySave.path), .id(id), Layout.csrfField(ctx),
            .h3(.t(title)),
            identity,
            .unwrap(model.errors[id]) { .div(.class("errors"), .attr("role", "alert"), .t($0)) },
            keyRow,
            Layout.row(l("Название", "Name"), for: id + "-name", error: nil,
                       .input(.type(.text), .name("name"), .id(id + "-name"), .attr("value", p?.name ?? ""))),
            Layout.row(l("Порядок", "Order"), for: id + "-position", error: nil,
                       .input(.type(.number), .name("position"), .id(id + "-position"), .attr("value", p.map { String($0.position) } ?? ""))),
            conditions, targets, escalation,
            .p(check("active", "1", l("действует", "active"), p?.active ?? true)),
            .div(.class("actions"), .button(.type(.submit), .class("primary"), .id(id + "-save"), .t(saveLabel)))
        )
    }
}
