import Yams

/// Decodes a YAML config file; every failure is `config.invalid` naming the file and field.
public enum YAMLConfig {
    public static func decode<T: Decodable>(_ type: T.Type, from text: String, source: String) throws -> T {
        do {
            return try YAMLDecoder().decode(type, from: text)
        } catch let error as DecodingError {
            throw ShoalError(.configInvalid, "\(source): \(WireCoding.describe(error))")
        } catch {
            throw ShoalError(.configInvalid, "\(source) is not valid YAML: \(error)")
        }
    }
}
