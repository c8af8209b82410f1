/// Line-based unified diff (`diff -u` style with 3 lines of context), for check mode and
/// change reports. Inputs are small config files, so a plain LCS table is fast enough; past
/// `maxCells` it falls back to "replace everything" rather than spend memory.
public enum UnifiedDiff {
    static let context = 3
    static let maxCells = 4_000_000

    /// Empty when the texts are equal.
    public static func make(old: String, new: String, oldLabel: String, newLabel: String) -> String {
        if old == new { return "" }
        let a = lines(old), b = lines(new)
        let edits = script(a, b)
        var out = "--- \(oldLabel)\n+++ \(newLabel)\n"
        var index = 0
        while index < edits.count {
            guard let firstChange = edits[index...].firstIndex(where: { $0.op != " " }) else { break }
            var start = max(firstChange - context, index)
            var end = firstChange
            // Extend the hunk while the next change is within 2×context lines.
            var scan = firstChange
            while scan < edits.count {
                if edits[scan].op != " " { end = scan; scan += 1; continue }
                let nextChange = edits[scan...].firstIndex(where: { $0.op != " " })
                if let next = nextChange, next - end <= context * 2 { scan = next } else { break }
            }
            let stop = min(end + context + 1, edits.count)
            if start < index { start = index }
            let slice = edits[start..<stop]
            let oldStart = slice.first?.oldLine ?? 0, newStart = slice.first?.newLine ?? 0
            let oldCount = slice.filter { $0.op != "+" }.count, newCount = slice.filter { $0.op != "-" }.count
            out += "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@\n"
            for edit in slice { out += "\(edit.op)\(edit.text)\n" }
            index = stop
        }
        if !out.contains("@@") {
            out += "@@ only the newline at the end of the file differs @@\n"
        }
        return out
    }

    struct Edit { var op: Character; var text: Substring; var oldLine: Int; var newLine: Int }

    static func lines(_ text: String) -> [Substring] {
        var result = text.split(separator: "\n", omittingEmptySubsequences: false)
        if text.hasSuffix("\n") { result.removeLast() }
        if text.isEmpty { return [] }
        return result
    }

    static func range(_ start: Int, _ count: Int) -> String {
        // diff -u numbers from 1; an empty range points at the line before it.
        count == 1 ? "\(start + 1)" : "\(count == 0 ? start : start + 1),\(count)"
    }

    static func script(_ a: [Substring], _ b: [Substring]) -> [Edit] {
        let n = a.count, m = b.count
        guard (n + 1) * (m + 1) <= maxCells else {
            return a.enumerated().map { Edit(op: "-", text: $1, oldLine: $0, newLine: 0) }
                + b.enumerated().map { Edit(op: "+", text: $1, oldLine: n, newLine: $0) }
        }
        // lcs[i][j]: length of the LCS of a[i...] and b[j...].
        var lcs = [[Int32]](repeating: [Int32](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var edits: [Edit] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, a[i] == b[j] {
                edits.append(Edit(op: " ", text: a[i], oldLine: i, newLine: j)); i += 1; j += 1
            } else if i < n, j == m || lcs[i + 1][j] >= lcs[i][j + 1] {
                edits.append(Edit(op: "-", text: a[i], oldLine: i, newLine: j)); i += 1
            } else {
                edits.append(Edit(op: "+", text: b[j], oldLine: i, newLine: j)); j += 1
            }
        }
        return edits
    }
}
