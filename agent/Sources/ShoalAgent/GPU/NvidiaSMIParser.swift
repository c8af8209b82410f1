import Foundation

/// Reads what nvidia-smi and the kernel module print. Pure functions over text, so they can
/// be checked against captures from real machines.
///
/// The driver writes `[N/A]`, `N/A`, `[Not Supported]`, other bracketed notes such as
/// `[Requested functionality has been deprecated]`, or nothing at all for a value it does not
/// have. All of those come out as nil here: an absent value is never turned into zero.
public enum NvidiaSMIParser {
    /// A GPU as `nvidia-smi -L` lists it, with the MIG instances listed under it.
    public struct ListedGPU: Sendable, Equatable {
        public var index: Int
        public var name: String
        public var uuid: String?
        public var migDevices: Int
    }

    /// The value, or nil when the driver says it has none.
    public static func value(_ raw: some StringProtocol) -> String? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        if text.isEmpty || text == "N/A" || text == "Not Supported" { return nil }
        if text.hasPrefix("["), text.hasSuffix("]") { return nil }
        return text
    }

    /// A number, with a unit after it dropped (`46068 MiB`, `39.32 W`, `9 %`: what the
    /// driver prints without `nounits`).
    public static func number(_ raw: String?) -> Double? {
        guard let raw, let first = raw.split(separator: " ").first else { return nil }
        return Double(first)
    }

    public static func integer(_ raw: String?) -> UInt64? {
        number(raw).flatMap { $0 >= 0 && $0 < 1.8e19 ? UInt64($0) : nil }
    }

    /// `Yes` / `No`, as the driver prints pending retirements and remaps.
    public static func flag(_ raw: String?) -> Bool? {
        switch raw?.lowercased() {
        case "yes": true
        case "no": false
        default: nil
        }
    }

    /// Rows of `--query-gpu=<fields> --format=csv,noheader[,nounits]`, one per GPU, keyed by the
    /// requested field names; fields without a value are left out. A line with the wrong
    /// number of columns is skipped rather than misread.
    public static func queryRows(_ text: String, fields: [String]) -> [[String: String]] {
        var rows: [[String: String]] = []
        for line in text.split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            // nvidia-smi separates with ", " and quotes nothing; no value it prints holds a comma.
            let columns = line.split(separator: ",", omittingEmptySubsequences: false)
            guard columns.count == fields.count else { continue }
            var row: [String: String] = [:]
            for (field, column) in zip(fields, columns) {
                if let value = value(column) { row[field] = value }
            }
            rows.append(row)
        }
        return rows
    }

    /// Rows of `--format=csv` output that still has its header (`memory.total [MiB]`).
    public static func queryRows(withHeader text: String) -> [[String: String]] {
        let lines = text.split(whereSeparator: \.isNewline)
        guard let header = lines.first else { return [] }
        let fields = header.split(separator: ",").map(headerFieldName)
        return queryRows(lines.dropFirst().joined(separator: "\n"), fields: fields)
    }

    /// `memory.total [MiB]` is the field `memory.total`.
    static func headerFieldName(_ column: some StringProtocol) -> String {
        var name = column.trimmingCharacters(in: .whitespaces)
        if name.hasSuffix("]"), let open = name.range(of: " [", options: .backwards) { name = String(name[..<open.lowerBound]) }
        return name
    }

    /// Fields an older driver refused: `Field "compute_cap" is not a valid field to query.`
    public static func invalidFields(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            guard line.hasPrefix("Field \""), line.contains("is not a valid field") else { return nil }
            return line.dropFirst("Field \"".count).split(separator: "\"", maxSplits: 1).first.map(String.init)
        }
    }

    /// The CUDA version from `nvidia-smi --version` (`CUDA Version : 13.2`), `-q`, or the
    /// header of the plain table (`CUDA Version: 13.2`). Driver 610 and later call it
    /// `CUDA UMD Version` (the user-mode driver's) and print no `CUDA Version` in the table.
    public static func cudaVersion(_ text: String) -> String? {
        version(after: "CUDA UMD Version", in: text) ?? version(after: "CUDA Version", in: text)
    }

    /// The driver version from `nvidia-smi --version` (`DRIVER version : 595.80`), `-q` or the
    /// table; driver 610 and later print `KMD version` (the kernel-mode driver's) instead.
    public static func driverVersion(_ text: String) -> String? {
        ["DRIVER version", "Driver Version", "KMD version", "KMD Version"].lazy.compactMap { version(after: $0, in: text) }.first
    }

    /// The GPUs nvidia-smi could not reach, by PCI bus id, from lines such as
    /// `Unable to determine the device handle for GPU0000:84:00.0: GPU is lost.  Reboot the
    /// system to recover this GPU` or `... for gpu 0000:3b:00.0: Unknown Error`.
    public static func unreachableGPUs(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            guard let found = line.range(of: "Unable to determine the device handle for") else { return nil }
            var rest = line[found.upperBound...].drop { $0 == " " }
            if rest.lowercased().hasPrefix("gpu") { rest = rest.dropFirst(3).drop { $0 == " " } }
            let id = rest.prefix { $0.isHexDigit || $0 == ":" || $0 == "." }
            let trimmed = id.hasSuffix(":") ? id.dropLast() : id
            return trimmed.contains(":") ? String(trimmed) : nil
        }
    }

    /// Whether nvidia-smi says a GPU is gone from the bus (XID 79's symptom), as opposed to
    /// other failures such as a driver/library mismatch.
    public static func saysGPULost(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.contains("fallen off the bus") || lower.contains("gpu is lost")
    }

    /// The loaded kernel module's version from /proc/driver/nvidia/version, whose first line is
    /// `NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.129.03  Thu Oct 19 ...` or, for the
    /// open modules, `NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  560.35.03  Release Build ...`.
    public static func kernelModuleVersion(_ text: String) -> String? {
        guard let line = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("NVRM version:") }) else { return nil }
        return line.split(separator: " ").dropFirst(2).first(where: isVersion).map(String.init)
    }

    /// `nvidia-smi -L`: `GPU 0: NVIDIA H200 (UUID: GPU-…)`, then indented
    /// `MIG 1g.10gb Device 0: (UUID: MIG-…)` lines for a GPU in MIG mode.
    public static func listedGPUs(_ text: String) -> [ListedGPU] {
        var gpus: [ListedGPU] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("MIG "), !gpus.isEmpty, line.first?.isWhitespace == true {
                gpus[gpus.count - 1].migDevices += 1
                continue
            }
            guard line.hasPrefix("GPU "), let colon = line.firstIndex(of: ":"),
                  let index = Int(line[line.index(line.startIndex, offsetBy: 4)..<colon]) else { continue }
            var rest = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            var uuid: String?
            if let open = rest.range(of: " (UUID: ", options: .backwards) {
                uuid = rest[open.upperBound...].split(separator: ")").first.map(String.init)
                rest = String(rest[..<open.lowerBound])
            }
            gpus.append(ListedGPU(index: index, name: rest, uuid: uuid, migDevices: 0))
        }
        return gpus
    }

    /// `535`, `535.129.03`: digits and dots, starting with a digit.
    static func isVersion(_ word: some StringProtocol) -> Bool {
        guard let first = word.first, isDigit(first) else { return false }
        return word.allSatisfy { isDigit($0) || $0 == "." }
    }

    static func isDigit(_ character: Character) -> Bool { character.isASCII && character.isNumber }

    /// The version after `label`, skipping spaces and a colon; nil when the driver printed N/A.
    static func version(after label: String, in text: String) -> String? {
        var search = text.startIndex..<text.endIndex
        while let found = text.range(of: label, range: search) {
            let rest = text[found.upperBound...].drop { $0 == " " || $0 == ":" || $0 == "\t" }
            let word = rest.prefix { isDigit($0) || $0 == "." }
            if isVersion(word) { return String(word) }
            search = found.upperBound..<text.endIndex
        }
        return nil
    }
}
