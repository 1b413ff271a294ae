import Foundation
import Plot
import Vapor
import ZayavkaCore

/// A report's period and filters from a query string (web and API alike).
enum ReportQuery {
    static func parse(_ request: Request, now: Date) throws -> (ReportPeriod, ReportFilter) {
        var errors: [FieldError] = []
        func day(_ name: String) -> LocalDate? {
            guard let raw = request.query[String.self, at: name], !raw.isEmpty else { return nil }
            guard raw.count == 10, let value = LocalDate(raw) else {
                errors.append(FieldError(name, .invalid, "YYYY-MM-DD"))
                return nil
            }
            return value
        }
        let today = LocalDate(containing: now, in: ReviewWeek.moscow)
        let to = day("to") ?? today
        let from = day("from") ?? to.adding(days: -29)
        var filter = ReportFilter()
        filter.group = request.intQuery("group_id", into: &errors)
        filter.agent = request.intQuery("agent_id", into: &errors)
        filter.organization = request.intQuery("organization_id", into: &errors)
        filter.channel = request.choice("channel", TicketChannel.allCases.map(\.rawValue), into: &errors)
        filter.type = request.choice("type", TicketType.allCases.map(\.rawValue), into: &errors)
        var period: ReportPeriod?
        do { period = try ReportPeriod(from: from, to: to) } catch ZayavkaError.validation(let more) { errors += more }
        guard errors.isEmpty, let period else { throw ZayavkaError.validation(errors) }
        return (period, filter)
    }
}

/// Charts drawn on the server as SVG: readable without JavaScript, printable, each with a table beside it.
enum ReportCharts {
    static let palette = ["#2f6fde", "#e07b24", "#2e9e5b", "#b8369b", "#8a6d3b", "#d23f3f", "#5b6b7b"]

    private static func esc(_ text: String) -> String { Escape.html(text) }

    /// Stacked bars: one bar per label, one segment per key.
    static func stackedBars(id: String, title: String, labels: [String], keys: [String], names: [String: String],
                            values: [[String: Int]]) -> Node<HTML.BodyContext> {
        let width = 720.0, height = 220.0, left = 40.0, bottom = 24.0
        let totals = values.map { $0.values.reduce(0, +) }
        let top = Double(max(totals.max() ?? 0, 1))
        let step = (width - left) / Double(max(labels.count, 1))
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-labelledby=\"\(id)-title\" id=\"\(id)\">"
        svg += "<title id=\"\(id)-title\">\(esc(title))</title>"
        svg += axis(top: top, left: left, width: width, height: height, bottom: bottom)
        for (i, bucket) in values.enumerated() {
            var y = height - bottom
            for (k, key) in keys.enumerated() {
                let value = Double(bucket[key] ?? 0)
                guard value > 0 else { continue }
                let h = value / top * (height - bottom - 10)
                y -= h
                svg += "<rect x=\"\(fmt(left + Double(i) * step + step * 0.15))\" y=\"\(fmt(y))\" width=\"\(fmt(max(step * 0.7, 1)))\" height=\"\(fmt(h))\" fill=\"\(palette[k % palette.count])\"><title>\(esc(labels[i] + " · " + (names[key] ?? key) + ": \(Int(value))"))</title></rect>"
            }
        }
        svg += xLabels(labels, left: left, step: step, height: height)
        svg += "</svg>"
        let legend: Node<HTML.BodyContext> = .ul(.class("legend"), .forEach(Array(keys.enumerated())) { k, key in
            .li(.span(.class("swatch"), .attr("style", "background:\(palette[k % palette.count])")), .t(names[key] ?? key))
        })
        return .div(.class("chart-box"), .raw(svg), legend)
    }

    /// A line per series (nil values leave a gap).
    static func lines(id: String, title: String, labels: [String], series: [(name: String, values: [Double?])], unit: String = "") -> Node<HTML.BodyContext> {
        let width = 720.0, height = 200.0, left = 48.0, bottom = 24.0
        let top = max(series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0, 1)
        let step = (width - left) / Double(max(labels.count, 1))
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-labelledby=\"\(id)-title\" id=\"\(id)\">"
        svg += "<title id=\"\(id)-title\">\(esc(title))</title>"
        svg += axis(top: top, left: left, width: width, height: height, bottom: bottom)
        for (s, line) in series.enumerated() {
            var path = ""
            var pen = false
            for (i, value) in line.values.enumerated() {
                guard let value else { pen = false; continue }
                let x = left + Double(i) * step + step / 2, y = height - bottom - value / top * (height - bottom - 10)
                path += (pen ? " L" : " M") + "\(fmt(x)) \(fmt(y))"
                pen = true
                svg += "<circle cx=\"\(fmt(x))\" cy=\"\(fmt(y))\" r=\"2.5\" fill=\"\(palette[s % palette.count])\"><title>\(esc(labels[i] + " · " + line.name + ": " + fmt(value) + unit))</title></circle>"
            }
            if !path.isEmpty { svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(palette[s % palette.count])\" stroke-width=\"2\"/>" }
        }
        svg += xLabels(labels, left: left, step: step, height: height)
        svg += "</svg>"
        let legend: Node<HTML.BodyContext> = .ul(.class("legend"), .forEach(Array(series.enumerated())) { s, line in
            .li(.span(.class("swatch"), .attr("style", "background:\(palette[s % palette.count])")), .t(line.name))
        })
        return .div(.class("chart-box"), .raw(svg), legend)
    }

    private static func axis(top: Double, left: Double, width: Double, height: Double, bottom: Double) -> String {
        var svg = "<line x1=\"\(fmt(left))\" y1=\"\(fmt(height - bottom))\" x2=\"\(fmt(width))\" y2=\"\(fmt(height - bottom))\" stroke=\"#999\"/>"
        for fraction in [0.5, 1.0] {
            let y = height - bottom - fraction * (height - bottom - 10)
            svg += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(width))\" y2=\"\(fmt(y))\" stroke=\"#e3e3e3\"/>"
            svg += "<text x=\"\(fmt(left - 4))\" y=\"\(fmt(y + 4))\" text-anchor=\"end\" font-size=\"11\">\(fmt((top * fraction * 10).rounded() / 10))</text>"
        }
        return svg
    }

    private static func xLabels(_ labels: [String], left: Double, step: Double, height: Double) -> String {
        let every = max(1, labels.count / 12)
        var svg = ""
        for (i, label) in labels.enumerated() where i % every == 0 {
            svg += "<text x=\"\(fmt(left + Double(i) * step + step / 2))\" y=\"\(fmt(height - 6))\" text-anchor=\"middle\" font-size=\"11\">\(esc(label))</text>"
        }
        return svg
    }

    static func fmt(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}

/// The managers' report page (SPEC Q4) and its CSV exports.
enum ReportPages {
    static func show(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageQuality)
        let ctx = PageContext(request)
        let l = ctx.l
        let context = try request.context
        let groups = try await QueueController.groupOptions(request: request)
        let staff = try await QueueController.staffOptions(request: request)
        let report: ReportDTO
        do {
            let (period, filter) = try ReportQuery.parse(request, now: context.now)
            report = try await ReportService.report(period, filter: filter, context: context)
        } catch ZayavkaError.validation(let problems) {
            let text = problems.map { fieldName($0.field, l) + ": " + l.localizer.fieldMessage($0) }.joined(separator: "; ")
            return Layout.render(l("Отчёты", "Reports"), ctx, status: .unprocessableEntity, .group(
                .h1(.t(l("Отчёты", "Reports"))), filters(request, ctx, groups: groups, staff: staff),
                .p(.class("notice error"), .id("report-error"), .attr("role", "alert"), .t(l("Отчёт не построен: ", "No report: ") + text))))
        }
        return Layout.render(l("Отчёты", "Reports"), ctx, .group(
            .h1(.t(l("Отчёты", "Reports"))),
            filters(request, ctx, groups: groups, staff: staff),
            body(report, request: request, ctx)))
    }

    static func fieldName(_ field: String, _ l: L) -> String {
        switch field {
        case "from": l("Период с", "From")
        case "to": l("Период по", "To")
        default: field
        }
    }

    private static func filters(_ request: Request, _ ctx: PageContext, groups: [QueueModel.Option], staff: [QueueModel.Option]) -> Node<HTML.BodyContext> {
        let l = ctx.l
        func q(_ name: String) -> String { request.query[String.self, at: name] ?? "" }
        let today = LocalDate(containing: ctx.now, in: ReviewWeek.moscow)
        return .form(
            .method(.get), .action(SitePath.reports.path), .class("report-filters no-print"), .id("report-filters"),
            .element(named: "label", nodes: [.t(l("С", "From") + " "), .input(.type(.date), .name("from"), .id("r-from"), .value(q("from").isEmpty ? today.adding(days: -29).description : q("from")))]),
            .element(named: "label", nodes: [.t(l("по", "to") + " "), .input(.type(.date), .name("to"), .id("r-to"), .value(q("to").isEmpty ? today.description : q("to")))]),
            .select(.attr("name", "group_id"), .attr("aria-label", l("Группа", "Group")), .opt("", l("все группы", "all groups")),
                    .forEach(groups) { .opt($0.value, $0.label, selected: $0.value == q("group_id")) }),
            .select(.attr("name", "agent_id"), .attr("aria-label", l("Специалист", "Agent")), .opt("", l("все специалисты", "all agents")),
                    .forEach(staff) { .opt($0.value, $0.label, selected: $0.value == q("agent_id")) }),
            .select(.attr("name", "channel"), .attr("aria-label", l("Канал", "Channel")), .opt("", l("все каналы", "all channels")),
                    .forEach(TicketChannel.allCases) { .opt($0.rawValue, l.localizer.name($0), selected: $0.rawValue == q("channel")) }),
            .select(.attr("name", "type"), .attr("aria-label", l("Тип", "Type")), .opt("", l("все типы", "all types")),
                    .forEach(TicketType.allCases) { .opt($0.rawValue, l.localizer.name($0), selected: $0.rawValue == q("type")) }),
            .input(.type(.number), .name("organization_id"), .attr("placeholder", l("№ организации", "Organization #")),
                   .attr("aria-label", l("Организация (номер)", "Organization (id)")), .value(q("organization_id"))),
            .button(.type(.submit), .class("primary"), .id("report-show"), .t(l("Показать", "Show"))))
    }

    private static func minutes(_ value: Double?, _ l: L) -> String {
        guard let value else { return "—" }
        let whole = Int(value.rounded())
        if whole < 60 { return l.minutes(whole) }
        let hours = Double(whole) / 60
        return l.decimal(hours, digits: 1) + l(" раб. ч", " working h")
    }

    static func body(_ report: ReportDTO, request: Request, _ ctx: PageContext) -> Node<HTML.BodyContext> {
        let l = ctx.l
        let labels = report.series.map { label($0.start, granularity: report.granularity, l) }
        let query = request.url.query.map { "?" + $0 } ?? ""
        func csv(_ section: String) -> Node<HTML.BodyContext> {
            .a(.class("csv no-print"), .href(SitePath.reportsCSV.path + (query.isEmpty ? "?" : query + "&") + "section=" + section),
               .t(l("CSV", "CSV")))
        }
        let channelNames = Dictionary(uniqueKeysWithValues: TicketChannel.allCases.map { ($0.rawValue, l.localizer.name($0)) })
        let typeNames = Dictionary(uniqueKeysWithValues: TicketType.allCases.map { ($0.rawValue, l.localizer.name($0)) })
        let t = report.totals
        let totals: Node<HTML.BodyContext> = .section(
            .class("card"), .id("report-totals"),
            .h2(.t(l("Итоги за период", "Totals for the period") + " · " + report.from + " — " + report.to)),
            .table(.class("list"), .tbody(
                .tr(.th(.t(l("Поступило заявок", "Requests received"))), .td(.id("total-created"), .t(l.number(t.created)))),
                .tr(.th(.t(l("Решено", "Solved"))), .td(.id("total-solved"), .t(l.number(t.solved)))),
                .tr(.th(.t(l("Открыто на конец периода", "Open at the end"))), .td(.id("total-backlog"), .t(l.number(t.backlog)))),
                .tr(.th(.t(l("Первый ответ: медиана / 90-й процентиль", "First response: median / 90th percentile"))),
                    .td(.t(minutes(t.firstResponseMedian, l) + " / " + minutes(t.firstResponseP90, l)))),
                .tr(.th(.t(l("Решение: медиана / 90-й процентиль", "Resolution: median / 90th percentile"))),
                    .td(.t(minutes(t.resolutionMedian, l) + " / " + minutes(t.resolutionP90, l)))),
                .tr(.th(.t(l("Оценки «Хорошо» / «Плохо»", "Ratings Good / Bad"))),
                    .td(.id("total-ratings"), .t("\(t.good) / \(t.bad)" + (t.satisfaction.map { " (" + l.decimal($0, digits: 1) + " %)" } ?? "")))))),
            .p(.class("muted"), .t(l("Время — рабочее, по календарю компании; рассчитывается по интервалам, точность около 10 %. Данные пересчитываются каждые 30 секунд.",
                                     "Times are working time in the desk's calendar, read from intervals (about 10 % precise). Figures are updated every 30 seconds."))),
            csv("series"))
        let channelKeys = TicketChannel.allCases.map(\.rawValue).filter { report.channels[$0] != nil }
        let volume: Node<HTML.BodyContext> = .section(
            .class("card"), .id("report-volume"),
            .h2(.t(l("Поступление по каналам", "Requests by channel"))),
            ReportCharts.stackedBars(id: "chart-volume", title: l("Поступление заявок по каналам", "Requests received by channel"), labels: labels,
                                     keys: channelKeys, names: channelNames, values: report.series.map(\.channels)),
            .table(.class("list chart-table"), .id("table-volume"),
                   .thead(.tr(.th(.t(l("Период", "Period"))), .forEach(channelKeys) { .th(.t(channelNames[$0] ?? $0)) }, .th(.t(l("Всего", "Total"))))),
                   .tbody(.forEach(Array(report.series.enumerated())) { i, point in
                       .tr(.td(.t(labels[i])), .forEach(channelKeys) { .td(.t(String(point.channels[$0] ?? 0))) }, .td(.t(String(point.created))))
                   })))
        let backlog: Node<HTML.BodyContext> = .section(
            .class("card"), .id("report-backlog"),
            .h2(.t(l("Решено и открыто", "Solved and open"))),
            ReportCharts.lines(id: "chart-backlog", title: l("Открытые заявки на конец периода и решённые", "Open at the end of each period, and solved"),
                               labels: labels, series: [(l("Открыто", "Open"), report.series.map { Double($0.backlog) }),
                                                        (l("Решено", "Solved"), report.series.map { Double($0.solved) })]),
            .table(.class("list chart-table"), .id("table-backlog"),
                   .thead(.tr(.th(.t(l("Период", "Period"))), .th(.t(l("Поступило", "Received"))), .th(.t(l("Решено", "Solved"))), .th(.t(l("Открыто", "Open"))))),
                   .tbody(.forEach(Array(report.series.enumerated())) { i, p in
                       .tr(.td(.t(labels[i])), .td(.t(String(p.created))), .td(.t(String(p.solved))), .td(.t(String(p.backlog))))
                   })))
        let times: Node<HTML.BodyContext> = .section(
            .class("card"), .id("report-times"),
            .h2(.t(l("Время первого ответа и решения (медиана, рабочие минуты)", "First response and resolution (median, working minutes)"))),
            ReportCharts.lines(id: "chart-times", title: l("Медиана времени первого ответа и решения", "Median first response and resolution time"), labels: labels,
                               series: [(l("Первый ответ", "First response"), report.series.map(\.firstResponseMedian)),
                                        (l("Решение", "Resolution"), report.series.map(\.resolutionMedian))], unit: l(" мин", " min")),
            .table(.class("list chart-table"),
                   .thead(.tr(.th(.t(l("Период", "Period"))), .th(.t(l("Первый ответ", "First response"))), .th(.t(l("Решение", "Resolution"))))),
                   .tbody(.forEach(Array(report.series.enumerated())) { i, p in
                       .tr(.td(.t(labels[i])), .td(.t(minutes(p.firstResponseMedian, l))), .td(.t(minutes(p.resolutionMedian, l))))
                   })))
        func breakdown(_ title: String, id: String, _ rows: [(String, Int)]) -> Node<HTML.BodyContext> {
            .div(.class("breakdown"), .id(id), .h3(.t(title)),
                 .table(.class("list"), .tbody(.forEach(rows.filter { $0.1 > 0 }) { .tr(.td(.t($0.0)), .td(.t(l.number($0.1)))) })))
        }
        let urgencyNames = ["none": l("не указана", "not set"), "1": "1", "2": "2", "3": "3", "4": "4"]
        let breakdowns: Node<HTML.BodyContext> = .section(
            .class("card breakdowns"), .id("report-breakdowns"),
            .h2(.t(l("Разрезы", "Breakdowns"))), csv("breakdown"),
            .div(.class("grid"),
                 breakdown(l("Тип", "Type"), id: "by-type", TicketType.allCases.map { (typeNames[$0.rawValue] ?? $0.rawValue, report.types[$0.rawValue] ?? 0) }),
                 breakdown(l("Срочность", "Urgency"), id: "by-urgency", ["1", "2", "3", "4", "none"].map { (urgencyNames[$0] ?? $0, report.urgencies[$0] ?? 0) }),
                 breakdown(l("Приоритет", "Priority"), id: "by-priority", TicketPriority.allCases.map { (l.localizer.name($0), report.priorities[$0.rawValue] ?? 0) }),
                 breakdown(l("Зона ответственности", "Responsibility"), id: "by-responsibility",
                           Responsibility.allCases.map { (l.localizer.name($0), report.responsibilities[$0.rawValue] ?? 0) } + [(l("не указана", "not set"), report.responsibilities["none"] ?? 0)]),
                 breakdown(l("Причина", "Cause"), id: "by-cause", report.causes.map { ($0.cause, $0.created) })))
        let sla: Node<HTML.BodyContext> = .section(
            .class("card"), .id("report-sla"),
            .h2(.t(l("Соблюдение SLA", "SLA compliance"))), csv("sla"),
            report.sla.isEmpty ? .p(.class("muted"), .t(l("За период нет завершённых сроков SLA.", "No SLA targets finished in the period."))) :
                .table(.class("list"),
                       .thead(.tr(.th(.t(l("Политика", "Policy"))), .th(.t(l("Показатель", "Metric"))), .th(.t(l("В срок", "Met"))),
                                  .th(.t(l("Нарушено", "Missed"))), .th(.t(l("Доля в срок", "Share met"))))),
                       .tbody(.forEach(report.sla) { row in
                           .tr(.td(.t(row.policy)), .td(.t(row.metricName)), .td(.t(String(row.met))), .td(.t(String(row.missed))),
                               .td(.t(row.share.map { l.decimal($0, digits: 1) + " %" } ?? "—")))
                       })))
        let agents: Node<HTML.BodyContext> = .section(
            .class("card"), .id("report-agents"),
            .h2(.t(l("Специалисты", "Agents"))), csv("agents"),
            .table(.class("list"),
                   .thead(.tr(.th(.t(l("Специалист", "Agent"))), .th(.t(l("Поступило", "Received"))), .th(.t(l("Решено", "Solved"))),
                              .th(.t(l("Открыто сейчас", "Open now"))), .th(.t(l("Оценка разборов", "Review score"))))),
                   .tbody(.forEach(report.agents) { row in
                       .tr(.td(.t(row.agent?.name ?? l("не назначено", "unassigned"))), .td(.t(String(row.created))), .td(.t(String(row.solved))),
                           .td(.t(row.openNow.map(String.init) ?? "—")), .td(.t(row.reviewScore.map { l.decimal($0, digits: 1) } ?? "—")))
                   })))
        let urgentLabels = report.urgentByMonth.map { monthLabel($0.month, l) }
        let urgent: Node<HTML.BodyContext> = .section(
            .class("card"), .id("report-urgent"),
            .h2(.t(l("Срочные заявки по месяцам", "Urgent requests per month"))), csv("urgent"),
            ReportCharts.stackedBars(id: "chart-urgent", title: l("Срочные заявки по месяцам", "Urgent requests per month"), labels: urgentLabels,
                                     keys: ["urgent"], names: ["urgent": l("Срочные", "Urgent")], values: report.urgentByMonth.map { ["urgent": $0.count] }),
            .table(.class("list chart-table"), .tbody(.forEach(Array(report.urgentByMonth.enumerated())) { i, m in
                .tr(.td(.t(urgentLabels[i])), .td(.t(l.localizer.count(m.count, ru: ("заявка", "заявки", "заявок"), en: ("request", "requests")))))
            })))
        let comments: Node<HTML.BodyContext> = .section(
            .class("card"), .id("report-comments"),
            .h2(.t(l("Комментарии к оценкам", "Rating comments"))),
            report.comments.isEmpty ? .p(.class("muted"), .t(l("Комментариев нет.", "No comments."))) :
                .ul(.forEach(report.comments) { c in
                    .li(.t((c.rating == .good ? "👍 " : "👎 ")), .a(.href(SitePath.agentTicket(c.ticketNumber).path), .t("№\(c.ticketNumber)")), .t(" — " + c.comment))
                }))
        return .div(.class("report"), totals, volume, backlog, times, breakdowns, sla, agents, urgent, comments)
    }

    static func label(_ start: String, granularity: String, _ l: L) -> String {
        guard let date = LocalDate(start) else { return start }
        switch granularity {
        case "month": return monthLabel(String(start.prefix(7)), l)
        default: return String(format: "%02d.%02d", date.day, date.month)
        }
    }

    static func monthLabel(_ month: String, _ l: L) -> String {
        let parts = month.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, (1...12).contains(parts[1]) else { return month }
        let ru = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]
        let en = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return (l.language == .ru ? ru : en)[parts[1] - 1] + " " + String(parts[0])
    }

    static func exportCSV(_ request: Request) async throws -> Response {
        try DirectoryPages.requireAdmin(request, .manageQuality)
        return try await ReportCSV.export(request).encodeResponse(for: request)
    }
}

/// A report's sections as CSV (`;`, UTF-8): what the page shows in its tables, with the same totals.
enum ReportCSV {
    static let sections = ["series", "breakdown", "sla", "agents", "urgent"]

    /// The section a request asks for (`section`, series by default) of the report its query describes.
    static func export(_ request: Request) async throws -> Download {
        let context = try request.context
        let (period, filter) = try ReportQuery.parse(request, now: context.now)
        var errors: [FieldError] = []
        let section = request.choice("section", sections, into: &errors) ?? "series"
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        return download(try await ReportService.report(period, filter: filter, context: context), section: section, language: context.language)
    }

    static func download(_ report: ReportDTO, section: String, language: ZayavkaCore.Language) -> Download {
        let ru = language == .ru
        func l(_ a: String, _ b: String) -> String { ru ? a : b }
        let header: [String]
        var rows: [[String]] = []
        switch section {
        case "breakdown":
            header = [l("Разрез", "Dimension"), l("Значение", "Value"), l("Заявок", "Requests")]
            for (k, v) in report.types.sorted(by: { $0.key < $1.key }) { rows.append([l("тип", "type"), k, String(v)]) }
            for (k, v) in report.channels.sorted(by: { $0.key < $1.key }) { rows.append([l("канал", "channel"), k, String(v)]) }
            for (k, v) in report.priorities.sorted(by: { $0.key < $1.key }) where v > 0 { rows.append([l("приоритет", "priority"), k, String(v)]) }
            for (k, v) in report.urgencies.sorted(by: { $0.key < $1.key }) where v > 0 { rows.append([l("срочность", "urgency"), k, String(v)]) }
            for (k, v) in report.responsibilities.sorted(by: { $0.key < $1.key }) where v > 0 { rows.append([l("чья сторона", "whose side"), k, String(v)]) }
            for cause in report.causes { rows.append([l("причина", "cause"), cause.cause, String(cause.created)]) }
        case "sla":
            header = [l("Политика", "Policy"), l("Показатель", "Metric"), l("В срок", "Met"), l("Нарушено", "Missed"), l("Доля в срок, %", "Share met, %")]
            rows = report.sla.map { [$0.policy, $0.metricName, String($0.met), String($0.missed), $0.share.map { String($0) } ?? ""] }
        case "agents":
            header = [l("Специалист", "Agent"), l("Поступило", "Received"), l("Решено", "Solved"), l("Открыто сейчас", "Open now"), l("Оценка разборов", "Review score")]
            rows = report.agents.map { [$0.agent?.name ?? l("не назначено", "unassigned"), String($0.created), String($0.solved),
                                        $0.openNow.map(String.init) ?? "", $0.reviewScore.map { String($0) } ?? ""] }
        case "urgent":
            header = [l("Месяц", "Month"), l("Срочных заявок", "Urgent requests")]
            rows = report.urgentByMonth.map { [$0.month, String($0.count)] }
        default:
            header = [l("Начало", "Start"), l("Поступило", "Received"), l("Решено", "Solved"), l("Открыто", "Open"),
                      l("Первый ответ, медиана, мин", "First response, median, min"), l("Решение, медиана, мин", "Resolution, median, min"),
                      l("Хорошо", "Good"), l("Плохо", "Bad")] + TicketChannel.allCases.map(\.rawValue)
            rows = report.series.map { p in
                [p.start, String(p.created), String(p.solved), String(p.backlog), p.firstResponseMedian.map { String($0) } ?? "",
                 p.resolutionMedian.map { String($0) } ?? "", String(p.good), String(p.bad)] + TicketChannel.allCases.map { String(p.channels[$0.rawValue] ?? 0) }
            }
            rows.append([l("Итого", "Total"), String(report.totals.created), String(report.totals.solved), String(report.totals.backlog),
                         report.totals.firstResponseMedian.map { String($0) } ?? "", report.totals.resolutionMedian.map { String($0) } ?? "",
                         String(report.totals.good), String(report.totals.bad)] + TicketChannel.allCases.map { String(report.channels[$0.rawValue] ?? 0) })
        }
        return Download.csv(CSV.write(header: header, rows: rows), filename: "report-\(section)-\(report.from)-\(report.to).csv")
    }
}
