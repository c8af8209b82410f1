import Foundation

/// A TCP forwarder from 127.0.0.1:`port` to 127.0.0.1:`target` (a small Python process).
/// Killed, it drops every connection through it and refuses new ones: a server that went
/// away, for whatever connects through it. Started again on the same port, it comes back.
public final class TCPForwarder: @unchecked Sendable {
    public let port: Int
    public let target: Int
    private let process: Process

    private init(port: Int, target: Int, process: Process) {
        self.port = port
        self.target = target
        self.process = process
    }

    /// Starts forwarding and returns once it listens.
    public static func start(port: Int = freePort(), to target: Int) throws -> TCPForwarder {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, "\(port)", "\(target)"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The script prints one line once it listens (or exits when it cannot bind).
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard line.contains("listening") else {
            process.terminate()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the TCP forwarder on port \(port) did not start"])
        }
        return TCPForwarder(port: port, target: target, process: process)
    }

    /// SIGKILL, as a machine or network going away: no connection is closed politely.
    public func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { kill() }

    /// The forwarder itself: argv[1] listens, argv[2] is the target port.
    public static let script = """
        import socket, sys, threading
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", int(sys.argv[1])))
        server.listen(64)
        print("listening", flush=True)
        def pipe(source, sink):
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    sink.sendall(data)
            except OSError:
                pass
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        while True:
            client, _ = server.accept()
            try:
                upstream = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
            except OSError:
                client.close()
                continue
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=pipe, args=(source, sink), daemon=True).start()
        """
}
