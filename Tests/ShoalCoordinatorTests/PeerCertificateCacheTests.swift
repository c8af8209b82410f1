import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import ShoalClient
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// The client certificate parsed once per connection: real TLS over loopback with the
/// coordinator's own server configuration, the admin credential as the client.
@Suite(.timeLimit(.minutes(2))) struct PeerCertificateCacheTests {
    /// Completes when the server side of a connection finished its TLS handshake.
    final class HandshakeWatcher: ChannelInboundHandler, Sendable {
        typealias InboundIn = NIOAny
        let done: EventLoopPromise<Void>
        init(done: EventLoopPromise<Void>) { self.done = done }
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? TLSUserEvent, case .handshakeCompleted = event { done.succeed() }
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// A TLS server on loopback; `connect` gives the server side of each connection, handshake done.
    struct Server {
        let group: MultiThreadedEventLoopGroup
        let listener: any Channel
        let accepted: AsyncStream<any Channel>
    }

    func serve(_ fleet: Fleet, group: MultiThreadedEventLoopGroup) async throws -> Server {
        let context = try NIOSSLContext(configuration: CoordinatorServer.tlsConfiguration(fleet: fleet))
        let (accepted, continuation) = AsyncStream.makeStream(of: (any Channel).self)
        let listener = try await ServerBootstrap(group: group).childChannelInitializer { channel in
            let done = channel.eventLoop.makePromise(of: Void.self)
            done.futureResult.whenSuccess { continuation.yield(channel) }
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(done: done))
            }
        }.bind(host: "127.0.0.1", port: 0).get()
        return Server(group: group, listener: listener, accepted: accepted)
    }

    func connect(_ server: Server, tls: TLSConfiguration) async throws -> any Channel {
        let context = try NIOSSLContext(configuration: tls)
        let port = try #require(server.listener.localAddress?.port)
        return try await ClientBootstrap(group: server.group).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
            }
        }.connect(host: "127.0.0.1", port: port).get()
    }

    @Test func eachConnectionIsParsedOnceAndForgottenWhenItCloses() async throws {
        let directory = NSTemporaryDirectory() + "shoal-peercache-" + RandomID.make(bytes: 6)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try FleetInitializer(
            dataDir: directory, advertiseURL: "https://127.0.0.1:1", listen: "127.0.0.1:1", extraNames: [], force: false, adminDir: directory + "/admin"
        ).run()
        let fleet = try await Fleet.load(dataDir: directory)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await serve(fleet, group: group)
        var accepted = server.accepted.makeAsyncIterator()
        let cache = PeerCertificateCache()
        let ca = try SecureFile.read(fleet.paths.caCertificate)

        let admin = try await connect(server, tls: ClientTLS.mutual(
            caPEM: ca, certificatePEM: try SecureFile.read(fleet.paths.adminCertificate), keyPEM: try SecureFile.read(fleet.paths.adminKey)
        ))
        let adminSide = try #require(await accepted.next())
        let first = try #require(await cache.certificate(of: adminSide))
        #expect(first.identity?.role == .admin)
        #expect(cache.count == 1)
        let again = try #require(await cache.certificate(of: adminSide))
        #expect(again.serialHex == first.serialHex && cache.count == 1)
        #expect(cache.parsed == 1, "the second request reads the entry, it does not parse again")

        // A connection without a client certificate has none, and leaves nothing behind.
        let anonymous = try await connect(server, tls: ClientTLS.serverAuthenticated(caPEM: ca))
        let anonymousSide = try #require(await accepted.next())
        #expect(await cache.certificate(of: anonymousSide) == nil)
        #expect(cache.count == 1)

        try await admin.close()
        try await adminSide.closeFuture.get()
        try await adminSide.eventLoop.submit {}.get()
        #expect(cache.count == 0, "the entry goes with its connection")

        try await anonymous.close()
        try await server.listener.close()
        try await group.shutdownGracefully()
    }
}
