import ShoalCore
import Testing

@Suite("Label text")
struct LabelTextTests {
    @Test("comma-separated and repeated pairs parse into one dictionary")
    func parses() throws {
        #expect(try LabelText.parse(["a=b,c=d"]) == ["a": "b", "c": "d"])
        #expect(try LabelText.parse(["role=web", "zone = eu-1"]) == ["role": "web", "zone": "eu-1"])
        #expect(try LabelText.parse(["k8s.io/role=node", "empty="]) == ["k8s.io/role": "node", "empty": ""])
        #expect(try LabelText.parse([]) == [:])
    }

    @Test("a later value for the same key wins")
    func lastWins() throws {
        #expect(try LabelText.parse(["a=1", "a=2"]) == ["a": "2"])
    }

    @Test("a pair without '=' is request.invalid_argument naming it")
    func missingEquals() {
        let error = #expect(throws: ShoalError.self) { try LabelText.parse(["a=b,justakey"]) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("'justakey'") == true)
    }

    @Test("bad keys are refused", arguments: ["=v", "sp ace=v", "ü=v", "a:b=v", String(repeating: "k", count: 64) + "=v"])
    func badKeys(pair: String) {
        let error = #expect(throws: ShoalError.self) { try LabelText.parse([pair]) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("label key") == true)
    }

    @Test("a 63-character key is the longest allowed")
    func longestKey() throws {
        let key = String(repeating: "k", count: 63)
        #expect(try LabelText.parse([key + "=v"]) == [key: "v"])
    }

    @Test("values may not contain '=' or exceed 253 characters")
    func badValues() {
        #expect(throws: ShoalError.self) { try LabelText.parse(["a=b=c"]) }
        #expect(throws: ShoalError.self) { try LabelText.validate(key: "a", value: String(repeating: "v", count: 254)) }
        #expect(throws: Never.self) { try LabelText.validate(key: "a", value: String(repeating: "v", count: 253)) }
        #expect(throws: ShoalError.self) { try LabelText.validate(key: "a", value: "x,y") }
    }
}
