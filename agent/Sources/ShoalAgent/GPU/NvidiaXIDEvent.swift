/// One `NVRM: Xid` line of the kernel log: the NVIDIA driver reporting an error on a GPU.
///
/// `[ 9031.550130] NVRM: Xid (PCI:0000:84:00): 79, pid='<unknown>', name=<unknown>, GPU has fallen off the bus.`
/// as dmesg prints it; journalctl drops the timestamp, and drivers before about 2016 wrote
/// `Xid (0000:84:00)` without `PCI:`.
public struct NvidiaXIDEvent: Sendable, Equatable {
    /// `0000:84:00`: domain, bus and device, the form `busKey` turns nvidia-smi's ids into.
    public var bus: String
    public var code: Int

    public init(bus: String, code: Int) {
        self.bus = bus
        self.code = code
    }

    /// Every XID line in `text`, oldest first.
    public static func events(in text: String) -> [NvidiaXIDEvent] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            guard let found = line.range(of: "NVRM: Xid (") else { return nil }
            let rest = line[found.upperBound...]
            guard let close = rest.range(of: "): ") else { return nil }
            var bus = rest[..<close.lowerBound]
            if bus.hasPrefix("PCI:") { bus = bus.dropFirst(4) }
            let code = rest[close.upperBound...].prefix { $0.isASCII && $0.isNumber }
            guard let key = busKey(bus), let value = Int(code) else { return nil }
            return NvidiaXIDEvent(bus: key, code: value)
        }
    }

    /// The same key for nvidia-smi's `00000000:84:00.0` and the kernel's `0000:84:00`:
    /// four-digit domain, bus and device, lowercase, without the function.
    public static func busKey(_ id: some StringProtocol) -> String? {
        let parts = id.lowercased().split(separator: ":")
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isHexDigit || $0 == "." } }) else { return nil }
        let domain = parts[0].suffix(4)
        let device = parts[2].split(separator: ".").first ?? parts[2]
        return "\(String(repeating: "0", count: max(0, 4 - domain.count)))\(domain):\(parts[1]):\(device)"
    }
}
