import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import ShoalClient
import ShoalCore

/// Builds the HTTPS API application: TLS that asks for (and verifies) a client certificate
/// but lets enrollment through without one, routes, and the background services.
public enum CoordinatorServer {
    public static func makeApplication(
        fleet: Fleet, listen: HostPort, logger: Logger,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let notifier = WorkNotifier()
        let limits = fleet.config.resolvedLimits
        let engine = RolloutEngine(
            fleet: fleet, notifier: notifier, logger: logger, replica: ReplicaName.make(listen: "\(listen.host):\(listen.port)"),
            leaseDuration: fleet.config.workLeaseSeconds
        )
        let schedules = ScheduleRunner(fleet: fleet, engine: engine, logger: logger)
        let router = try makeRouter(fleet: fleet, notifier: notifier, engine: engine, schedules: schedules)
        let metrics = MetricsRoutes(fleet: fleet, notifier: notifier)

        let liveness = LivenessMonitor(
            store: fleet.store, ttl: .seconds(fleet.config.seconds(\.nodeTTL)), grace: .seconds(fleet.config.seconds(\.downGrace)), logger: logger
        )
        // Slow or silent clients cannot hold connections: a deadline for the TLS handshake, an
        // idle timeout between requests, and a cap on open connections (more wait in the backlog).
        let handshake = TimeAmount.seconds(Int64(limits.handshakeTimeoutSeconds))
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [HandshakeTimeoutHandler(timeout: handshake)],
            idleTimeout: .seconds(Int64(limits.idleTimeoutSeconds))
        )
        // First, so it stops last and stores the counts of the others' final work.
        var services: [any Service] = [
            KeyUseFlusher(counter: fleet.keyUse, store: fleet.store, logger: logger), liveness, engine, schedules, StoragePruner(fleet: fleet, logger: logger), AllocatorTrimmer(),
        ]
        // Replicas on one PostgreSQL database wake each other's waiters through it.
        if let postgres = fleet.store as? PostgresFleetStore {
            services.append(PostgresChangeListener(store: postgres, notifier: notifier, logger: logger))
        }
        if let address = fleet.config.metricsListen, let metricsListen = HostPort(address) {
            services.append(MetricsListener.makeApplication(routes: metrics, listen: metricsListen, idleTimeoutSeconds: limits.idleTimeoutSeconds, logger: logger))
        }
        return Application(
            router: router,
            server: try .tls(.http1(configuration: http), tlsConfiguration: try tlsConfiguration(fleet: fleet)),
            configuration: .init(
                address: .hostname(listen.host, port: listen.port), serverName: "shoal-coordinator",
                availableConnectionsDelegate: .maximum(limits.maxConnections, logger: logger)
            ),
            services: services,
            onServerRunning: onServerRunning,
            logger: logger
        )
    }

    /// Every route of the API behind its middleware. `docs/openapi.json` describes exactly
    /// these (`OpenAPIDocumentTests` compares the two).
    static func makeRouter(fleet: Fleet, notifier: WorkNotifier, engine: RolloutEngine, schedules: ScheduleRunner) throws -> Router<CoordinatorRequestContext> {
        let limits = fleet.config.resolvedLimits
        let router = Router(context: CoordinatorRequestContext.self)
        // Outermost, so every request is counted with the status the error middleware gives it.
        router.add(middleware: MetricsFactoryScope(factory: fleet.metrics.httpFactory))
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: PeerIdentityMiddleware(operators: OperatorCredentialCheck(store: fleet.store, currentCA: fleet.ca.certificate.subject), certificates: PeerCertificateCache()))
        router.add(middleware: PathParameterMiddleware())
        EnrollmentRoutes(fleet: fleet, limits: limits).add(to: router)
        OpenAPIRoutes().add(to: router)
        AgentRoutes(fleet: fleet, notifier: notifier, engine: engine, limits: limits).add(to: router)
        OperatorRoutes(fleet: fleet, engine: engine).add(to: router)
        TaskChangeRoutes(fleet: fleet, limiter: TaskWaitLimiter()).add(to: router)
        ScheduleRoutes(fleet: fleet, runner: schedules).add(to: router)
        TrustRoutes(fleet: fleet).add(to: router)
        AuditRoutes(fleet: fleet).add(to: router)
        MetricHistoryRoutes(fleet: fleet).add(to: router)
        OperatorCredentialRoutes(fleet: fleet).add(to: router)
        try DashboardRoutes(fleet: fleet, engine: engine, sessions: DashboardSessions()).add(to: router)
        MetricsRoutes(fleet: fleet, notifier: notifier).add(to: router)
        return router
    }

    /// Server TLS: the fleet's server certificate; client certificates requested and, when
    /// presented, verified against the fleet CA. Routes other than enrollment and health
    /// then refuse requests that came without one (TLS 1.3 would otherwise only fail on
    /// the first read, with no explanation for the client).
    static func tlsConfiguration(fleet: Fleet) throws -> TLSConfiguration {
        var certificates = try NIOSSLCertificate.fromPEMFile(fleet.paths.serverCertificate)
        // During a CA rotation the cross certificate follows, so a client that trusts only
        // the previous CA can still build a path to it.
        if let cross = fleet.crossCertificatePEM { certificates += try NIOSSLCertificate.fromPEMBytes(Array(cross.utf8)) }
        let chain = certificates.map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: fleet.paths.serverKey, format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        TLSPolicy.apply(to: &tls)
        tls.certificateVerification = .optionalVerification
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(fleet.acceptedCABundle.utf8)))
        return tls
    }
}
