import Foundation

/// The Russian five-day-week production calendar (производственный календарь) for 2025–2027:
/// the non-working holidays, the days off moved by transfers, the weekend days worked by transfer
/// and the pre-holiday days shortened by one hour.
///
/// Sources:
/// - Labour Code (ТК РФ) art. 112: the holidays (1–6 and 8 January — Новогодние каникулы, 7 January —
///   Рождество Христово, 23 February, 8 March, 1 May, 9 May, 12 June, 4 November) and the rule that a
///   weekend day coinciding with a holiday moves to the next working day, except the two January weekend
///   days, which the Government moves by decree; art. 95: the working day immediately before a
///   non-working holiday is one hour shorter (a transferred working Saturday before a holiday block too).
/// - 2025: постановление Правительства РФ от 04.10.2024 № 1335 «О переносе выходных дней в 2025 году»:
///   4 Jan (Sat) → 2 May, 5 Jan (Sun) → 31 Dec, 23 Feb (Sun) → 8 May, 8 Mar (Sat) → 13 Jun,
///   1 Nov (Sat) → 3 Nov. (Because of these decree transfers 24 Feb and 10 Mar stay working days.)
/// - 2026: постановление Правительства РФ от 24.09.2025 № 1466 «О переносе выходных дней в 2026 году»:
///   3 Jan (Sat) → 9 Jan, 4 Jan (Sun) → 31 Dec; by art. 112: 8 Mar (Sun) → 9 Mar, 9 May (Sat) → 11 May.
/// - 2027: постановление Правительства РФ от 17.09.2026 № 1187 «О переносе выходных дней в 2027 году»:
///   2 Jan (Sat) → 5 Nov, 3 Jan (Sun) → 31 Dec, 20 Feb (Sat) → 22 Feb; by art. 112: 1 May (Sat) → 3 May,
///   9 May (Sun) → 10 May, 12 Jun (Sat) → 14 Jun. Caveat: this decree and its transfers were found only
///   in public repository data (xmlcalendar/data ru/2027/calendar.xml and several projects citing
///   consultant.ru, government.ru and publication.pravo.gov.ru), all agreeing; no stored consultant.ru,
///   garant.ru or government.ru page for 2027 was available to read directly. Re-check against the
///   official text when possible.
///
/// Yearly totals counted from this data (working day = Mon–Fri not a holiday, or a transferred
/// working weekend day; 8 hours a day, 7 on a shortened day):
/// - 2025: 247 working days, 118 non-working days, 1972 hours at 40 h/week (4 shortened days) —
///   247/118 and the 4 shortened days match the published figures.
/// - 2026: 247 working days, 118 non-working days, 1972 hours at 40 h/week (4 shortened days) —
///   247/118, the 4 shortened days and January's 15 days / 120 hours match the published figures.
/// - 2027: 247 working days, 118 non-working days, 1972 hours at 40 h/week (4 shortened days) —
///   the 118 non-working days and the 4 shortened days match the consultant.ru figures as reproduced
///   in repository data; no published hour total was found.
/// The hour totals were not found stated in the stored sources; they follow from the published
/// day counts and shortened-day lists.
public enum RussianProductionCalendar {
    /// One line per special date and kind: "YYYY-MM-DD kind", kind is holiday (a non-working day on a date
    /// that would otherwise be worked, or any official holiday, even on a weekend), workday (a weekend date
    /// worked by transfer), or short (a working day one hour shorter). A transferred working Saturday that
    /// is also a pre-holiday day has two lines (short and workday). Comments after "#".
    /// Read it with `ProductionCalendarDays.parse(_:)`.
    public static let data = """
    2025-01-01 holiday  # Новогодние каникулы
    2025-01-02 holiday  # Новогодние каникулы
    2025-01-03 holiday  # Новогодние каникулы
    2025-01-04 holiday  # Новогодние каникулы (сб); выходной перенесён на 2 мая (ПП № 1335)
    2025-01-05 holiday  # Новогодние каникулы (вс); выходной перенесён на 31 декабря (ПП № 1335)
    2025-01-06 holiday  # Новогодние каникулы
    2025-01-07 holiday  # Рождество Христово
    2025-01-08 holiday  # Новогодние каникулы
    2025-02-23 holiday  # День защитника Отечества (вс); выходной перенесён на 8 мая (ПП № 1335)
    2025-03-07 short    # предпраздничный день (перед 8 марта)
    2025-03-08 holiday  # Международный женский день (сб); выходной перенесён на 13 июня (ПП № 1335)
    2025-04-30 short    # предпраздничный день (перед 1 мая)
    2025-05-01 holiday  # Праздник Весны и Труда
    2025-05-02 holiday  # перенос с 4 января (сб)
    2025-05-08 holiday  # перенос с 23 февраля (вс)
    2025-05-09 holiday  # День Победы
    2025-06-11 short    # предпраздничный день (перед 12 июня)
    2025-06-12 holiday  # День России
    2025-06-13 holiday  # перенос с 8 марта (сб)
    2025-11-01 short    # предпраздничный день: рабочая суббота перед 2–4 ноября
    2025-11-01 workday  # рабочая суббота: выходной перенесён на 3 ноября (ПП № 1335)
    2025-11-03 holiday  # перенос с 1 ноября (сб)
    2025-11-04 holiday  # День народного единства
    2025-12-31 holiday  # перенос с 5 января (вс)
    2026-01-01 holiday  # Новогодние каникулы
    2026-01-02 holiday  # Новогодние каникулы
    2026-01-03 holiday  # Новогодние каникулы (сб); выходной перенесён на 9 января (ПП № 1466)
    2026-01-04 holiday  # Новогодние каникулы (вс); выходной перенесён на 31 декабря (ПП № 1466)
    2026-01-05 holiday  # Новогодние каникулы
    2026-01-06 holiday  # Новогодние каникулы
    2026-01-07 holiday  # Рождество Христово
    2026-01-08 holiday  # Новогодние каникулы
    2026-01-09 holiday  # перенос с 3 января (сб)
    2026-02-23 holiday  # День защитника Отечества
    2026-03-08 holiday  # Международный женский день (вс)
    2026-03-09 holiday  # перенос с 8 марта (вс), ч. 2 ст. 112 ТК РФ
    2026-04-30 short    # предпраздничный день (перед 1 мая)
    2026-05-01 holiday  # Праздник Весны и Труда
    2026-05-08 short    # предпраздничный день (перед 9 мая)
    2026-05-09 holiday  # День Победы (сб)
    2026-05-11 holiday  # перенос с 9 мая (сб), ч. 2 ст. 112 ТК РФ
    2026-06-11 short    # предпраздничный день (перед 12 июня)
    2026-06-12 holiday  # День России
    2026-11-03 short    # предпраздничный день (перед 4 ноября)
    2026-11-04 holiday  # День народного единства
    2026-12-31 holiday  # перенос с 4 января (вс)
    2027-01-01 holiday  # Новогодние каникулы
    2027-01-02 holiday  # Новогодние каникулы (сб); выходной перенесён на 5 ноября (ПП № 1187)
    2027-01-03 holiday  # Новогодние каникулы (вс); выходной перенесён на 31 декабря (ПП № 1187)
    2027-01-04 holiday  # Новогодние каникулы
    2027-01-05 holiday  # Новогодние каникулы
    2027-01-06 holiday  # Новогодние каникулы
    2027-01-07 holiday  # Рождество Христово
    2027-01-08 holiday  # Новогодние каникулы
    2027-02-20 short    # предпраздничный день: рабочая суббота перед 21–23 февраля
    2027-02-20 workday  # рабочая суббота: выходной перенесён на 22 февраля (ПП № 1187)
    2027-02-22 holiday  # перенос с 20 февраля (сб)
    2027-02-23 holiday  # День защитника Отечества
    2027-03-08 holiday  # Международный женский день
    2027-04-30 short    # предпраздничный день (перед 1 мая)
    2027-05-01 holiday  # Праздник Весны и Труда (сб)
    2027-05-03 holiday  # перенос с 1 мая (сб), ч. 2 ст. 112 ТК РФ
    2027-05-09 holiday  # День Победы (вс)
    2027-05-10 holiday  # перенос с 9 мая (вс), ч. 2 ст. 112 ТК РФ
    2027-06-11 short    # предпраздничный день (перед 12 июня)
    2027-06-12 holiday  # День России (сб)
    2027-06-14 holiday  # перенос с 12 июня (сб), ч. 2 ст. 112 ТК РФ
    2027-11-03 short    # предпраздничный день (перед 4 ноября)
    2027-11-04 holiday  # День народного единства
    2027-11-05 holiday  # перенос со 2 января (сб)
    2027-12-31 holiday  # перенос с 3 января (вс)
    """
}

extension ProductionCalendarDays {
    /// The shipped Russian production calendar, 2025–2027 (`RussianProductionCalendar.data`).
    public static let russia: ProductionCalendarDays = {
        do { return try ProductionCalendarDays.parse(RussianProductionCalendar.data) }
        catch { preconditionFailure("the shipped production calendar does not parse: \(error)") }
    }()
}

extension BusinessCalendar {
    /// Monday to Friday, `from`–`to` Moscow time, on the Russian production calendar.
    public static func russianFiveDay(from start: Int = 9 * 60, to end: Int = 18 * 60) -> BusinessCalendar {
        .fiveDay([WorkingHours(start, end)], timeZone: .moscow, days: .russia)
    }
}
