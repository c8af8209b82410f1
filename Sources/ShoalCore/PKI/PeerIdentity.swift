import X509

/// Who a certificate speaks for. Encoded in the subject as `O=Shoal, OU=<role>, CN=<name>`:
/// the role decides which routes it may call, the name is the node id or operator name.
public struct PeerIdentity: Sendable, Equatable, CustomStringConvertible {
    public enum Role: String, Sendable, Codable, CaseIterable {
        case node
        case admin
        case `operator`
        case viewer

        public var isOperator: Bool { self != .node }
    }

    public var role: Role
    public var name: String

    public init(role: Role, name: String) {
        self.role = role
        self.name = name
    }

    public var description: String { "\(role.rawValue) \(name)" }

    public var distinguishedName: DistinguishedName {
        get throws {
            try DistinguishedName {
                OrganizationName("Shoal")
                OrganizationalUnitName(role.rawValue)
                CommonName(name)
            }
        }
    }

    /// Reads the identity a fleet-issued certificate names; nil when the subject is not ours.
    public init?(certificate: Certificate) {
        var roleText: String?
        var name: String?
        for rdn in certificate.subject {
            for attribute in rdn {
                if attribute.type == .RDNAttributeType.organizationalUnitName { roleText = String(attribute.value) }
                if attribute.type == .RDNAttributeType.commonName { name = String(attribute.value) }
            }
        }
        guard let roleText, let role = Role(rawValue: roleText), let name, !name.isEmpty else { return nil }
        self.init(role: role, name: name)
    }
}
