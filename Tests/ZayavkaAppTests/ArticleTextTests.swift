import Foundation
import Testing
@testable import ZayavkaApp

/// Article Markdown: rendered safely, and no text makes the renderer stop the process.
@Suite struct ArticleTextTests {
    @Test func markdownIsRenderedAndSanitized() {
        let html = ArticleText.html("# Заголовок\n\n**жирный** и [ссылка](https://example.ru)\n\n<script>alert(1)</script><img src=x onerror=alert(1)>\n\n- пункт")
        #expect(html.contains("<strong>жирный</strong>"))
        #expect(html.contains("href=\"https://example.ru\""))
        #expect(!html.contains("<script") && !html.contains("onerror"))
        #expect(ArticleText.html("[x](javascript:alert(1))").contains("javascript") == false)
        #expect(ArticleText.plain("**Смена** закрыта").trimmingCharacters(in: .whitespacesAndNewlines) == "Смена закрыта")
    }

    /// Random text made of Markdown's special characters (and CRLF, unfinished constructs at the
    /// end): Ink 0.5 trapped on some; a trap here would stop the test process.
    @Test func randomMarkdownNeverTraps() {
        let pieces = ["#", "##", "*", "**", "_", "__", "`", "```", "[", "]", "(", ")", "!", "<", ">", "-", "+", "1.", "|", "\\", "\n", "\r\n",
                      "\n\n", " ", "\t", "текст", "word", "http://x.ru", "&amp;", "&#", "~~", "---", "***", "> ", "    ", ":", "\"", "'"]
        var generator = SystemRandomNumberGenerator()
        // ZAYAVKA_MARKDOWN_FUZZ=300000 for a long run.
        let runs = ProcessInfo.processInfo.environment["ZAYAVKA_MARKDOWN_FUZZ"].flatMap(Int.init) ?? 20_000
        for _ in 0..<runs {
            let count = Int.random(in: 0...40, using: &generator)
            let text = (0..<count).map { _ in pieces.randomElement(using: &generator)! }.joined()
            _ = ArticleText.html(text)
            _ = ArticleText.plain(text)
        }
    }
}
