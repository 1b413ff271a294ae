import Testing
@testable import ZayavkaCore

@Suite struct KnowledgeBaseTests {
    @Test func slugsAreReadableLatin() {
        #expect(Slug.make("Как закрыть кассовую смену?") == "kak-zakryt-kassovuyu-smenu")
        #expect(Slug.make("Щётка и ЪЁЖ: 1С 8.3") == "shchetka-i-ezh-1s-8-3")
        #expect(Slug.make("Printer doesn't print") == "printer-doesn-t-print")
        #expect(Slug.make("!!!") == "article")
        #expect(Slug.make(String(repeating: "длинный заголовок ", count: 20)).count <= Slug.maxLength)
        #expect(Slug.isValid(Slug.make("Как закрыть кассовую смену?")))
        #expect(!Slug.isValid("Bad Slug"))
        #expect(!Slug.isValid("a--b"))
        #expect(!Slug.isValid("../etc"))
    }

    @Test func audiences() {
        #expect(ArticleAudience.visible(to: nil) == [.public])
        #expect(ArticleAudience.visible(to: .customer) == [.public, .customers])
        #expect(ArticleAudience.visible(to: .agent) == [.public, .customers, .staff])
    }

    @Test func tagsAreDistinctAndTrimmed() {
        #expect(ArticleTags.parse(["касса, ККТ,  касса", " ", "Касса,фн"]) == ["касса", "ККТ", "фн"])
        #expect(ArticleTags.parse((1...30).map { "t\($0)" }).count == 20)
    }

    @Test func lineDiffFindsTheChangedLines() {
        let lines = LineDiff.diff("a\nb\nc\nd", "a\nB\nc\nd\ne")
        #expect(lines == [.init(.same, "a"), .init(.added, "B"), .init(.removed, "b"), .init(.same, "c"), .init(.same, "d"), .init(.added, "e")])
        #expect(LineDiff.diff("same", "same") == [.init(.same, "same")])
        #expect(LineDiff.diff("", "x").filter { $0.kind == .added }.map(\.text) == ["x"])
    }

    @Test func hugeDiffsDoNotExplode() {
        let old = (1...3000).map { "old \($0)" }.joined(separator: "\n")
        let new = (1...3000).map { "new \($0)" }.joined(separator: "\n")
        let lines = LineDiff.diff(old, new)
        #expect(lines.count == 6000)
        #expect(lines.filter { $0.kind == .same }.isEmpty)
    }
}
