import NIOCore
import NIOTLS

/// Closes a connection that has not completed its TLS handshake within `timeout`, so a
/// client that connects and then says nothing (or dribbles a ClientHello) cannot hold a
/// connection slot. Added with the HTTP handlers, before the handshake ends; it sees
/// `TLSUserEvent.handshakeCompleted` pass by and then does nothing more.
final class HandshakeTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let timeout: TimeAmount
    private var scheduled: Scheduled<Void>?
    private var completed = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        scheduled = context.eventLoop.scheduleTask(in: timeout) {
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        scheduled?.cancel()
        scheduled = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            completed = true
            scheduled?.cancel()
            scheduled = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Application data only flows after the handshake: it ended even if we missed the event.
        if !completed {
            completed = true
            scheduled?.cancel()
            scheduled = nil
        }
        context.fireChannelRead(data)
    }
}
