import Foundation

/// `gpus` as authors write it: `"all"`, or a count (`2` or `"2"`), like `docker run --gpus`.
public enum DockerGPURequest: Codable, Sendable, Equatable, CustomStringConvertible {
    case all
    case count(Int)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            guard number > 0 else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "gpus \(number) must be positive, or \"all\"")
            }
            self = .count(number)
            return
        }
        let text = try container.decode(String.self)
        if text == "all" {
            self = .all
        } else if let number = Int(text), number > 0 {
            self = .count(number)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "gpus '\(text)' must be \"all\" or a positive count")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .all: try container.encode("all")
        case .count(let number): try container.encode(number)
        }
    }

    public var description: String {
        switch self {
        case .all: "all"
        case .count(let number): String(number)
        }
    }

    /// What `docker run --gpus` sends: the NVIDIA runtime hook picks devices with capability `gpu`.
    var deviceRequest: DockerContainerCreateBody.DeviceRequest {
        switch self {
        case .all: DockerContainerCreateBody.DeviceRequest(driver: "", count: -1, capabilities: [["gpu"]])
        case .count(let number): DockerContainerCreateBody.DeviceRequest(driver: "", count: number, capabilities: [["gpu"]])
        }
    }
}
